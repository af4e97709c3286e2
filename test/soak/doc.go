// Package soak holds the fault-injection soak test (`make soak`): random Ingress and
// Service churn on a real API server, a zonekeeper daemon killed with SIGKILL and
// restarted at random, and BIND9 behind faultproxy, which drops, stalls, fails and
// loses DNS messages at random. Once churn and faults stop, the zone must converge to
// exactly what the objects ask for, with every foreign and unowned record untouched and
// no owned record or ownership record orphaned.
//
// TestSoak runs for $ZONEKEEPER_SOAK (a Go duration), or a 30-second smoke when it is
// unset; -soak.report=FILE writes its report as JSON.
package soak
