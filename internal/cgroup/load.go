package cgroup

import (
	"golang.org/x/sys/unix"

	"github.com/containerd/cgroups/v3/cgroup2"
)

func cgroupLoad(mount, group string) (*cgroup2.Manager, error) {
	return cgroup2.Load(group, cgroup2.WithMountpoint(mount))
}

func isCgroup2(dir string) bool {
	var st unix.Statfs_t
	return unix.Statfs(dir, &st) == nil && st.Type == unix.CGROUP2_SUPER_MAGIC
}
