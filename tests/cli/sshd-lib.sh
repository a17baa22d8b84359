# A throwaway OpenSSH server on loopback for the CLI tests that need one,
# sourced after lib.sh (the approach of libgit2's ci/test.sh): a fresh
# ed25519 host key, a free high port, its own authorized_keys, UsePAM no,
# StrictModes no, logins only as the running user.
#
#   sshd_start DIR    start it; sets and exports SSHD_DIR, SSHD_PORT,
#                     SSHD_USER, SSHD_HOSTKEY_PUB (the host key's .pub file),
#                     SSHD_FP (its SHA256 fingerprint, as `c2c remote
#                     trust` takes it), SSHD_KNOWN_HOSTS (a known_hosts
#                     holding that key) and
#                     SSHD_AUTHORIZED_KEYS (DIR/authorized_keys, the file
#                     sshd reads); the log is DIR/sshd.log
#   sshd_stop         stop it (also done on exit, before lib.sh's cleanup)
#   sshd_ssh KEY ARGS...       stock ssh to SSHD_USER@127.0.0.1 with KEY only
#   sshd_git KEY ARGS...       stock git whose ssh uses KEY only and checks
#                              the host key against SSHD_KNOWN_HOSTS
#   sshd_url PATH     ssh://SSHD_USER@127.0.0.1:SSHD_PORT/PATH
#
# Runs as root in CI (scripts/deps installs openssh-server); if sshd cannot
# start, sshd_start says why, shows the log, and returns 1: tests fail
# loudly rather than skip.

SSHD_BIN=${SSHD_BIN:-/usr/sbin/sshd}
SSHD_PID=

# _sshd_port_busy PORT: something already accepts connections on it.
_sshd_port_busy() {
	(exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
}

sshd_start() {
	SSHD_DIR=$1
	mkdir -p "$SSHD_DIR" || return 1
	if [ ! -x "$SSHD_BIN" ]; then
		echo "sshd-lib: no $SSHD_BIN: install openssh-server (sh scripts/deps)" >&2
		return 1
	fi
	SSHD_USER=$(id -un)
	rm -f "$SSHD_DIR/host_ed25519" "$SSHD_DIR/host_ed25519.pub"
	ssh-keygen -q -t ed25519 -N '' -C "c2c-test-sshd" -f "$SSHD_DIR/host_ed25519" || return 1
	SSHD_HOSTKEY_PUB=$SSHD_DIR/host_ed25519.pub
	SSHD_FP=$(ssh-keygen -lf "$SSHD_HOSTKEY_PUB" | cut -d' ' -f2)
	SSHD_AUTHORIZED_KEYS=$SSHD_DIR/authorized_keys
	: >>"$SSHD_AUTHORIZED_KEYS"
	chmod 600 "$SSHD_AUTHORIZED_KEYS"
	# Privilege separation needs it; Debian makes it only when its service
	# starts.
	[ -d /run/sshd ] || mkdir -m 0755 -p /run/sshd 2>/dev/null || true
	tries=0
	while :; do
		tries=$((tries + 1))
		if [ "$tries" -gt 20 ]; then
			echo "sshd-lib: could not start $SSHD_BIN (log $SSHD_DIR/sshd.log):" >&2
			sed 's/^/  | /' "$SSHD_DIR/sshd.log" >&2 2>/dev/null
			return 1
		fi
		SSHD_PORT=$((20000 + RANDOM % 20000))
		_sshd_port_busy "$SSHD_PORT" && continue
		cat >"$SSHD_DIR/sshd_config" <<-EOF
			Port $SSHD_PORT
			ListenAddress 127.0.0.1
			HostKey $SSHD_DIR/host_ed25519
			PidFile $SSHD_DIR/sshd.pid
			AuthorizedKeysFile $SSHD_AUTHORIZED_KEYS
			AllowUsers $SSHD_USER
			UsePAM no
			StrictModes no
			PasswordAuthentication no
			KbdInteractiveAuthentication no
			PubkeyAuthentication yes
			PermitRootLogin prohibit-password
			UseDNS no
			LogLevel VERBOSE
		EOF
		rm -f "$SSHD_DIR/sshd.pid"
		: >"$SSHD_DIR/sshd.log"
		# sshd binds before it daemonizes: a port taken meanwhile fails here.
		"$SSHD_BIN" -f "$SSHD_DIR/sshd_config" -E "$SSHD_DIR/sshd.log" || {
			grep -q 'Cannot bind\|Address already in use' "$SSHD_DIR/sshd.log" && continue
			tries=99
			continue
		}
		break
	done
	i=0
	while [ ! -s "$SSHD_DIR/sshd.pid" ] || ! _sshd_port_busy "$SSHD_PORT"; do
		i=$((i + 1))
		if [ "$i" -gt 100 ]; then
			echo "sshd-lib: sshd did not come up on 127.0.0.1:$SSHD_PORT:" >&2
			sed 's/^/  | /' "$SSHD_DIR/sshd.log" >&2
			return 1
		fi
		sleep 0.1
	done
	SSHD_PID=$(cat "$SSHD_DIR/sshd.pid")
	SSHD_KNOWN_HOSTS=$SSHD_DIR/known_hosts
	printf '[127.0.0.1]:%s %s\n' "$SSHD_PORT" "$(cut -d' ' -f1,2 "$SSHD_HOSTKEY_PUB")" >"$SSHD_KNOWN_HOSTS"
	export SSHD_DIR SSHD_PORT SSHD_USER SSHD_HOSTKEY_PUB SSHD_FP SSHD_KNOWN_HOSTS SSHD_AUTHORIZED_KEYS
	return 0
}

sshd_stop() {
	[ -n "${SSHD_PID:-}" ] || return 0
	kill "$SSHD_PID" 2>/dev/null
	i=0
	while kill -0 "$SSHD_PID" 2>/dev/null && [ "$i" -lt 50 ]; do
		sleep 0.1
		i=$((i + 1))
	done
	SSHD_PID=
}

# Stop sshd on exit, then run whatever the EXIT trap did before (lib.sh's
# removal of $T). A test killed by a signal exits through it too: a daemon
# left behind would outlive the test.
_sshd_chain_trap() {
	eval "set -- $(trap -p EXIT)"
	trap "sshd_stop; ${3:-}" EXIT
	trap 'exit 129' HUP
	trap 'exit 130' INT
	trap 'exit 143' TERM
}
_sshd_chain_trap

# The ssh command line the helpers use: only KEY, the test's known_hosts,
# no user or system ssh configuration, never a prompt.
sshd_ssh_command() {
	printf 'ssh -F /dev/null -i %q -o IdentitiesOnly=yes -o IdentityAgent=none -o UserKnownHostsFile=%q ' \
		"$1" "$SSHD_KNOWN_HOSTS"
	printf -- '-o GlobalKnownHostsFile=/dev/null -o StrictHostKeyChecking=yes -o BatchMode=yes -o ConnectTimeout=10 -p %s' "$SSHD_PORT"
}

sshd_ssh() {
	_key=$1
	shift
	eval "$(sshd_ssh_command "$_key")" '"$SSHD_USER@127.0.0.1"' '"$@"'
}

sshd_git() {
	_key=$1
	shift
	GIT_SSH_COMMAND=$(sshd_ssh_command "$_key") GIT_SSH_VARIANT=ssh git "$@"
}

sshd_url() {
	printf 'ssh://%s@127.0.0.1:%s/%s' "$SSHD_USER" "$SSHD_PORT" "${1#/}"
}
