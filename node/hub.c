#include "c2c/hub.h"

#include <git2.h>

#include "c2c/err.h"
#include "c2c/repo.h"

/* -------------------------------------------------------------------- hub */

int hub_init(const char *path)
{
	git_repository *r = NULL;
	git_config *cfg = NULL;
	git_repository_init_options o;
	int rc, err = 0;
	git_repository_init_options_init(&o, GIT_REPOSITORY_INIT_OPTIONS_VERSION);
	o.flags = GIT_REPOSITORY_INIT_BARE | GIT_REPOSITORY_INIT_MKPATH | GIT_REPOSITORY_INIT_NO_REINIT;
	o.initial_head = "main";
	o.description = "c2c hub: each node's main at refs/heads/nodes/<node-id>\n";
	if ((err = repo_global_init()) < 0)
		return err;
	if ((rc = git_repository_init_ext(&r, path, &o)) < 0) {
		err = err_git(rc, path);
		if (rc == GIT_EEXISTS)
			err = err_set(C2C_EINVALID, "%s already holds a repository", path);
		return err;
	}
	/* Stock git enforces on receive what it can: valid objects, no deletes,
	 * no non-fast-forwards. */
	if ((rc = git_repository_config(&cfg, r)) < 0 || (rc = git_config_set_bool(cfg, "c2c.hub", 1)) < 0 ||
	    (rc = git_config_set_bool(cfg, "receive.fsckObjects", 1)) < 0 ||
	    (rc = git_config_set_bool(cfg, "receive.denyDeletes", 1)) < 0 ||
	    (rc = git_config_set_bool(cfg, "receive.denyNonFastForwards", 1)) < 0 ||
	    (rc = git_config_set_string(cfg, "core.fsync", "all")) < 0)
		err = err_git(rc, path);
	git_config_free(cfg);
	git_repository_free(r);
	return err;
}

