/* Fault injection for tests.
 *
 * fault_point() marks a step of a write (between the SQLite transaction, the
 * git objects and the ref). When the environment has C2C_TEST_KILL_AT=N, the
 * Nth point reached in this process sends SIGKILL to the process itself, so
 * that a test can stop a write at every one of its points in turn.
 * C2C_TEST_KILL_AT=list prints each point's number and name to stderr.
 * With C2C_TEST_PAUSE_AT=NAME and C2C_TEST_PAUSE_FILE=PATH, the point named
 * NAME creates PATH and waits (up to a minute) until the test removes it, so
 * that a test can run another command in the middle of this one.
 *
 * fault_alloc_arm() is called once the libraries are initialized: when the
 * test allocator of tests/allocfail is preloaded (LD_PRELOAD), it finishes
 * the libraries' lazy set-up and then starts that allocator's count, so
 * that C2C_TEST_FAIL_ALLOC=N fails the Nth allocation of c2c's own work.
 * Without that library it does nothing. */
#ifndef C2C_FAULT_H
#define C2C_FAULT_H

void fault_point(const char *name);
void fault_alloc_arm(void);

#endif
