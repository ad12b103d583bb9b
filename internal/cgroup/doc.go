// Package cgroup holds each supervised process and everything it starts
// in a control group of its own: it creates the groups, places children in
// them as they are born, sets limits, kills whole trees, reports when a
// tree has emptied or met the OOM killer, and reads the tree's accounting.
//
// The layout follows systemd's delegation model: under a parent (the
// daemon's own cgroup unless configured) the daemon owns one directory,
// named after its configuration file, and makes one cgroup per process in
// it. The same relative path is used in every hierarchy.
//
// Membership, tree kill (cgroup.kill) and the "populated" notification
// (cgroup.events) always come from cgroup v2. On a pure v2 host limits and
// accounting come from the same cgroup; on a hybrid host (v1 controllers
// next to a v2 hierarchy with no controllers) limits and memory and task
// accounting come from the v1 memory, cpu and pids controllers, in a
// cgroup of the same name. A host without a v2 hierarchy is not
// supported: nothing there tells when a tree has emptied.
//
// Creating, limiting and removing groups goes through
// github.com/containerd/cgroups/v3; the few counters read per sample are
// read directly, which costs one small read each.
package cgroup
