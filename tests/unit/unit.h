/* Shared by the unit tests, after cmocka.h and c2c/err.h. */
#ifndef C2C_TEST_UNIT_H
#define C2C_TEST_UNIT_H

/* CALL must return 0; otherwise fail with its code and the error message. */
#define OK(call)                                                                                   \
	do {                                                                                           \
		int rc_ = (call);                                                                          \
		if (rc_ != 0)                                                                              \
			fail_msg("%s -> %d: %s", #call, rc_, err_msg());                                       \
	} while (0)

#endif
