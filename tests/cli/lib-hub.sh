# A network for the CLI tests, made in one call: an office, city nodes it
# registers, and a hub they all sync with, by path or over the loopback sshd
# of sshd-lib.sh. Sourced after lib.sh (and sshd-lib.sh, for --ssh).
#
#   hub_network [OPTIONS] HUB OFFICE [DIR:CITY...]
#       c2c hub init HUB; c2c init OFFICE --office; for each DIR:CITY, c2c
#       init DIR --city CITY with the office's key, and the office
#       registers it (node add); each node joins the hub (hub_join); then the
#       office syncs, so that the hub holds the registry (a node's commits
#       are accepted only once the office has registered it).
#     --ssh             the hub over sshd (sshd_start first): each node is
#                       allowed on it (hub allow, into SSHD_AUTHORIZED_KEYS)
#                       and its remote is sshd_url HUB, whose key it trusts
#     --apart DIR       DIR is made, registered and allowed but joins
#                       later, by the test (hub_join DIR URL: through
#                       lib-proxy.sh's link, say); may be given again
#     --office-user U   the office's --user
#     --city-user U     each city node's --user, "{city}" in U replaced by
#                       its city
#   Each step is an assertion; at the first that fails, its command's error
#   is shown and the status is 1 (callers: hub_network ... || exit 1).
#
#   hub_join DIR [URL]  DIR's remote "hub" is URL (by default the hub of the
#                       last hub_network, by path or over ssh); over ssh it
#                       trusts SSHD_FP

_HUB_PATH='' _HUB_SSH=''

# _hub_step DESCRIPTION COMMAND...: an assertion whose failure shows the
# command's stderr.
_hub_step() {
	_d=$1
	shift
	if "$@" >"$T/hub-step.out" 2>"$T/hub-step.err"; then
		ok
	else
		not_ok "$_d"
		sed 's/^/  | /' "$T/hub-step.err" >&2
		return 1
	fi
}

hub_join() {
	_url=${2:-}
	if [ -z "$_url" ]; then
		if [ -n "$_HUB_SSH" ]; then _url=$(sshd_url "$_HUB_PATH"); else _url=$_HUB_PATH; fi
	fi
	_hub_step "$1 joins the hub" c2c -C "$1" remote add hub "$_url" || return 1
	case $_url in
	ssh://*) _hub_step "$1 trusts the hub's host key" c2c -C "$1" remote trust hub "$SSHD_FP" ;;
	esac
}

hub_network() {
	local apart=() ouser='' cuser='' o dc d c nodes
	_HUB_SSH=
	while :; do
		case ${1:-} in
		--ssh) _HUB_SSH=1 ;;
		--apart) apart+=("$2") && shift ;;
		--office-user) ouser=$2 && shift ;;
		--city-user) cuser=$2 && shift ;;
		*) break ;;
		esac
		shift
	done
	_HUB_PATH=$1
	o=$2
	shift 2
	_hub_step "hub init $_HUB_PATH" c2c hub init "$_HUB_PATH" || return 1
	_hub_step "init the office $o" c2c init "$o" --office ${ouser:+--user "$ouser"} || return 1
	nodes=("$o")
	for dc in "$@"; do
		d=${dc%:*} c=${dc##*:}
		_hub_step "init $d, a node of $c" c2c init "$d" --city "$c" --office-key "$o/keys/id_ed25519.pub" \
			${cuser:+--user "${cuser//\{city\}/$c}"} || return 1
		_hub_step "the office registers $d" \
			c2c -C "$o" node add "$(node_id "$d")" --city "$c" "$d/keys/id_ed25519.pub" || return 1
		nodes+=("$d")
	done
	for d in "${nodes[@]}"; do
		if [ -n "$_HUB_SSH" ]; then
			_hub_step "the hub allows $d" c2c hub allow "$_HUB_PATH" "$(node_id "$d")" "$d/keys/id_ed25519.pub" \
				--authorized-keys "$SSHD_AUTHORIZED_KEYS" || return 1
		fi
		case " ${apart[*]} " in *" $d "*) continue ;; esac
		hub_join "$d" || return 1
	done
	_hub_step "the office syncs its registrations to the hub" c2c -C "$o" sync
}
