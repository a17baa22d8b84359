/* Fault injection for tests.
 *
 * fault_point() marks a step of a write (between the SQLite transaction, the
 * git objects and the ref). When the environment has C2C_TEST_KILL_AT=N, the
 * Nth point reached in this process sends SIGKILL to the process itself, so
 * that a test can stop a write at every one of its points in turn.
 * C2C_TEST_KILL_AT=list prints each point's number and name to stderr. */
#ifndef C2C_FAULT_H
#define C2C_FAULT_H

void fault_point(const char *name);

#endif
