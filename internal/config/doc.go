// Package config reads supervisord configuration files the way Supervisor
// 4.2.5 does (its configparser dialect, %(name)s expansions, [include]
// files, value types, defaults and validation) and turns them into the
// typed, validated Config that the rest of the daemon consumes. Loading
// never touches running state: it either returns a complete Config or
// every error it found, each with file and line.
package config
