#include "c2c/util.h"

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "c2c/i18n.h"

int util_grow(void **items, size_t *cap, size_t need, size_t size)
{
	if (need <= *cap)
		return 0;
	size_t c = *cap ? *cap : 8;
	while (c < need) {
		if (c > SIZE_MAX / 2)
			return ERR_OOM();
		c *= 2;
	}
	if (size && c > SIZE_MAX / size)
		return ERR_OOM();
	void *p = realloc(*items, c * size);
	CHECK_ALLOC(p);
	*items = p;
	*cap = c;
	return 0;
}

int write_all(int fd, const void *buf, size_t len, const char *what)
{
	const char *c = buf;
	while (len > 0) {
		ssize_t k = write(fd, c, len);
		if (k < 0 && errno == EINTR)
			continue;
		if (k < 0)
			return err_errno(C2C_EIO, what);
		c += k;
		len -= (size_t)k;
	}
	return 0;
}

int err_tmpfile(const char *what)
{
	int e = errno;
	char w[512];
	snprintf(w, sizeof(w), what, P_tmpdir);
	err_set(C2C_EIO, "%s: %s", w, strerror(e));
	return err_hint(_("nothing was written: make room in %s (or raise the limit on a file's size) and run the "
	                  "command again"),
	                P_tmpdir);
}

int read_file(const char *path, size_t max, char **out, size_t *len)
{
	char *buf = NULL;
	size_t n = 0, cap = 0;
	int err = 0, fd = open(path, O_RDONLY | O_CLOEXEC);
	*out = NULL;
	if (fd < 0)
		return err_errno(errno == ENOENT ? C2C_ENOTFOUND : C2C_EIO, path);
	for (;;) {
		if ((err = util_grow((void **)&buf, &cap, n + 4096 + 1, 1)) < 0)
			break;
		ssize_t k = read(fd, buf + n, cap - n - 1);
		if (k < 0 && errno == EINTR)
			continue;
		if (k < 0) {
			err = err_errno(C2C_EIO, path);
			break;
		}
		if (k == 0)
			break;
		n += (size_t)k;
		if (n > max) {
			err = err_set(C2C_EINVALID, "%s: larger than %zu bytes", path, max);
			break;
		}
	}
	close(fd);
	if (err < 0) {
		free(buf);
		return err;
	}
	if (!buf && util_grow((void **)&buf, &cap, 1, 1) < 0)
		return C2C_ENOMEM;
	buf[n] = '\0';
	*out = buf;
	if (len)
		*len = n;
	return 0;
}

char *path_join(const char *a, const char *b)
{
	size_t n = strlen(a) + strlen(b) + 2;
	char *p = malloc(n);
	if (p)
		snprintf(p, n, "%s/%s", a, b);
	return p;
}

int fsync_parent_dir(const char *path)
{
	char dir[4096];
	const char *slash = strrchr(path, '/');
	if (!slash)
		snprintf(dir, sizeof(dir), ".");
	else if (slash == path)
		snprintf(dir, sizeof(dir), "/");
	else if ((size_t)(slash - path) >= sizeof(dir))
		return err_set(C2C_EINVALID, "%s: path too long", path);
	else
		snprintf(dir, sizeof(dir), "%.*s", (int)(slash - path), path);
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return err_errno(C2C_EIO, dir);
	int err = fsync(fd) < 0 && errno != EINVAL ? err_errno(C2C_EIO, dir) : 0;
	close(fd);
	return err;
}

int write_file_atomic(const char *path, const void *buf, size_t len, mode_t mode)
{
	char tmp[4096];
	if (snprintf(tmp, sizeof(tmp), "%s.tmp-%ld", path, (long)getpid()) >= (int)sizeof(tmp))
		return err_set(C2C_EINVALID, "%s: path too long", path);
	int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
	if (fd < 0)
		return err_errno(C2C_EIO, tmp);
	int err = write_all(fd, buf, len, tmp);
	if (!err && fsync(fd) < 0)
		err = err_errno(C2C_EIO, tmp);
	if (close(fd) < 0 && !err)
		err = err_errno(C2C_EIO, tmp);
	if (!err && rename(tmp, path) < 0)
		err = err_errno(C2C_EIO, path);
	if (err < 0) {
		unlink(tmp);
		return err;
	}
	return fsync_parent_dir(path);
}
