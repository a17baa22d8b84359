/* lock: the node lock (DIR/c2c.lock), an flock the kernel releases when a
 * process dies, with the pid of its holder inside for messages
 * (include/c2c/node.h: node_unlock, node_relock). */
#define _XOPEN_SOURCE 700
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <time.h>
#include <unistd.h>

#include "c2c/err.h"
#include "c2c/i18n.h"
#include "c2c/node_internal.h"
#include "c2c/util.h"

#define LOCK_WAIT_MS 10000

/* How long a command waits for the lock: C2C_LOCK_WAIT_MS, read once. */
static pthread_once_t wait_once = PTHREAD_ONCE_INIT;
static int lock_wait_ms;

static void read_wait(void)
{
	const char *w = getenv("C2C_LOCK_WAIT_MS");
	lock_wait_ms = w ? atoi(w) : LOCK_WAIT_MS;
}

/* Wait for the flock on FD (C2C_LOCK_WAIT_MS, default 10 s). */
static int lock_fd(int fd, const char *path)
{
	pthread_once(&wait_once, read_wait);
	int wait_ms = lock_wait_ms, waited = 0;
	while (flock(fd, LOCK_EX | LOCK_NB) < 0) {
		if (errno != EWOULDBLOCK || waited >= wait_ms) {
			char pid[32] = "";
			ssize_t k = pread(fd, pid, sizeof(pid) - 1, 0);
			pid[k > 0 ? k : 0] = '\0';
			pid[strcspn(pid, "\n")] = '\0';
			err_set(C2C_ELOCKED, _("%s: another c2c command (pid %s) is using this node"), path, pid[0] ? pid : "?");
			return err_hint(_("wait for it to finish and try again"));
		}
		struct timespec ts = {0, 50 * 1000000L};
		nanosleep(&ts, NULL);
		waited += 50;
	}
	char pid[32];
	int len = snprintf(pid, sizeof(pid), "%ld\n", (long)getpid());
	if (ftruncate(fd, 0) == 0 && pwrite(fd, pid, (size_t)len, 0) < 0) {
		/* the pid is only a courtesy for messages */
	}
	return 0;
}

int node_lock_take(c2c_node *n)
{
	char *p = path_join(n->dir, "c2c.lock");
	int fd, err;
	if (!p)
		return ERR_OOM();
	fd = open(p, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
	if (fd < 0) {
		err = err_errno(C2C_EIO, p);
		free(p);
		return err;
	}
	if ((err = lock_fd(fd, p)) < 0)
		close(fd);
	else
		n->lockfd = fd;
	free(p);
	return err;
}

void node_unlock(c2c_node *n)
{
	if (n->lockfd >= 0)
		flock(n->lockfd, LOCK_UN);
}

int node_relock(c2c_node *n)
{
	char *p = path_join(n->dir, "c2c.lock"), *head = NULL;
	int err;
	if (!p)
		return ERR_OOM();
	err = lock_fd(n->lockfd, p);
	free(p);
	if (err < 0)
		return err;
	/* Another command may have written meanwhile (or crashed): take the
	 * head as it is now, finishing an interrupted write as at open. */
	if ((err = store_state_get(n->st, "head", &head)) < 0)
		return err;
	if (git_oid_fromstr(&n->head, head) < 0)
		err = err_set(C2C_ECORRUPT, "%s: recorded head '%s' is not a commit id", n->dbpath, head);
	free(head);
	if (err == 0 && (err = node_recover(n)) == 0)
		err_clear();
	return err;
}
