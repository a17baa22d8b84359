#include "c2c/refs.h"

#include <stdio.h>

#include "c2c/err.h"

int ref_remote(char *buf, size_t size, const char *remote, const char *rest)
{
	int k = snprintf(buf, size, REF_REMOTES "%s/%s", remote, rest ? rest : "");
	if (k < 0 || (size_t)k >= size)
		return err_set(C2C_EINVALID, "remote '%s': its ref name is too long", remote);
	return 0;
}
