// Package rpc implements Supervisor's XML-RPC interface, the supervisor.*
// and system.* methods, over a Backend that the supervisor provides. It
// owns everything a client can observe at this level: argument checking,
// name resolution ("name", "group:name", "group:*"), reply structures,
// process descriptions, and the mapping of failures to fault codes and
// strings, so that clients written for Supervisor 4.2.5 see no difference.
package rpc
