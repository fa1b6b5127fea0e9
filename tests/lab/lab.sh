# lab.sh: a private mail lab for end-to-end tests, to be sourced by bash scripts.
#   lab_start DIR   start Dovecot (IMAP+STARTTLS, IMAPS, LMTP) and an SMTP server
#                   (submission with STARTTLS, implicit TLS, AUTH, delivering example.org
#                   into Dovecot's LMTP) on 127.0.0.1, ports picked free; writes DIR/env
#                   to source. The SMTP server is Postfix (SASL through Dovecot) as root,
#                   else relay.py, an aiosmtpd relay (python3-aiosmtpd) that needs no root;
#                   LAB_SMTP=relay picks the relay as root too, LAB_SMTP=postfix insists on
#                   Postfix. DIR/env says which: LAB_SMTP_SERVER=postfix|relay|none.
#   lab_stop DIR    stop them by their recorded PIDs (start time checked); idempotent.
#   lab_smtp_server prints the SMTP server lab_start would run here: postfix, relay or
#                   none (then Dovecot runs alone and LAB_SMTP_PORT is empty).
# Everything lives in DIR: configs, certificate, queue, mail, sockets, logs, PIDs.
# DIR is a folder the caller made for the lab (or that lab_start makes): lab_start sets
# DIR itself to mode 755 and gives DIR/mail to the mail user; nothing outside DIR is ever
# chowned or chmoded, and nothing under /etc is touched. No system service is used.
# Users (password "secret"): iln, alice, bob, carol, coord, and for the round test
# ama, ben, chen, dora, emil, fay, gus @example.org.
# Packages: dovecot-imapd dovecot-lmtpd postfix swaks openssl (and python3, curl);
# without root: python3-aiosmtpd instead of postfix (smtp-sink, in postfix, is optional).

LAB__HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
LAB_USERS="iln alice bob carol coord ama ben chen dora emil fay gus"
# Known to Postfix only: taken at RCPT, refused by Dovecot's LMTP, so Postfix writes the
# DSN itself (to the VERP sender; recipient_delimiter = + brings it to iln's INBOX).
LAB_POSTFIX_ONLY="gone"
LAB_PASSWORD=secret

lab__die() { echo "lab: $*" >&2; return 1; }

# lab__relay_python: a python3 that has aiosmtpd (Debian's, if the first on PATH lacks it).
lab__relay_python() {
	local p
	for p in python3 /usr/bin/python3; do
		if "$p" -c 'import aiosmtpd.smtp' > /dev/null 2>&1; then
			command -v "$p"
			return 0
		fi
	done
	return 1
}

lab_smtp_server() {
	local can_postfix=0
	[ "$(id -u)" = 0 ] && command -v postfix > /dev/null 2>&1 && can_postfix=1
	case ${LAB_SMTP:-} in
	postfix) [ $can_postfix = 1 ] && echo postfix || echo none ;;
	relay) lab__relay_python > /dev/null && echo relay || echo none ;;
	*)
		if [ $can_postfix = 1 ]; then echo postfix
		elif lab__relay_python > /dev/null; then echo relay
		else echo none
		fi ;;
	esac
}

# lab__ports N: N distinct free TCP ports on 127.0.0.1, all bound at once, then released.
lab__ports() {
	python3 -c '
import socket, sys
ss = []
for _ in range(int(sys.argv[1])):
    s = socket.socket(); s.bind(("127.0.0.1", 0)); ss.append(s)
print(" ".join(str(s.getsockname()[1]) for s in ss))
for s in ss: s.close()' "$1"
}

# lab__wait_port PORT SECONDS: until something accepts on 127.0.0.1:PORT.
lab__wait_port() {
	local i
	for ((i = 0; i < $2 * 20; i++)); do
		if (exec 3<>/dev/tcp/127.0.0.1/"$1") 2>/dev/null; then return 0; fi
		sleep 0.05
	done
	return 1
}

# lab__starttime PID: field 22 of /proc/PID/stat, empty if gone or a zombie.
lab__starttime() {
	local s rest
	s=$(cat /proc/"$1"/stat 2>/dev/null) || return 0
	rest=${s##*) }
	set -- $rest
	[ "$1" = Z ] && return 0
	echo "${20}"
}

# lab__record NAME PIDFILE: remember the master's PID and start time in DIR/pids.
lab__record() {
	local dir=$1 name=$2 file=$3 pid st i
	for ((i = 0; i < 100; i++)); do
		pid=$(tr -d ' \n' 2>/dev/null < "$file")
		[ -n "$pid" ] && st=$(lab__starttime "$pid") && [ -n "$st" ] && break
		sleep 0.05
	done
	[ -n "$st" ] || { lab__die "$name did not write $file"; return 1; }
	echo "$name $pid $st" >> "$dir/pids"
}

lab__dovecot_conf() {
	local dir=$1 uid=$2 gid=$3 pimap=$4 pimaps=$5 plmtp=$6 pauth=$7 luser=$8 lchroot=login
	# Without root nothing can chroot: the services that would, don't.
	[ -n "$luser" ] && lchroot=
	cat <<EOF
instance_name = ilnlab-$$-$RANDOM
base_dir = $dir/run
state_dir = $dir/state
log_path = $dir/log/dovecot.log
info_log_path = $dir/log/dovecot.log
protocols = imap lmtp
listen = 127.0.0.1
ssl = yes
ssl_cert = <$dir/tls/cert.pem
ssl_key = <$dir/tls/key.pem
disable_plaintext_auth = no
auth_mechanisms = plain login xoauth2 oauthbearer
auth_failure_delay = 0
mail_max_userip_connections = 1000
recipient_delimiter = +
mail_fsync = never
first_valid_uid = $uid
first_valid_gid = $gid
mail_location = maildir:$dir/mail/%u
$luser
passdb {
  driver = oauth2
  mechanisms = xoauth2 oauthbearer
  args = $dir/dovecot-oauth2.conf.ext
}
passdb {
  driver = passwd-file
  args = scheme=PLAIN username_format=%u $dir/users
}
userdb {
  driver = passwd-file
  args = username_format=%u $dir/users
  default_fields = uid=$uid gid=$gid home=$dir/mail/%u
}
namespace inbox {
  inbox = yes
  separator = /
  mailbox Sent {
    auto = subscribe
    special_use = \\Sent
  }
}
service imap-login {
  chroot = $lchroot
  inet_listener imap {
    address = 127.0.0.1
    port = $pimap
  }
  inet_listener imaps {
    address = 127.0.0.1
    port = $pimaps
    ssl = yes
  }
}
service lmtp {
  inet_listener lmtp {
    address = 127.0.0.1
    port = $plmtp
  }
}
service auth {
  inet_listener auth-client {
    address = 127.0.0.1
    port = $pauth
  }
}
EOF
}

lab__postfix_main() {
	local dir=$1 plmtp=$2 pauth=$3 tag=$4
	cat <<EOF
compatibility_level = 3.6
queue_directory = $dir/postfix/queue
data_directory = $dir/postfix/data
mail_owner = postfix
setgid_group = postdrop
myhostname = mx.lab.example.net
mydomain = lab.example.net
myorigin = \$myhostname
mydestination =
inet_interfaces = 127.0.0.1
inet_protocols = ipv4
mynetworks = 127.0.0.0/8
syslog_name = $tag
maillog_file = $dir/log/postfix.log
maillog_file_prefixes = $dir/log
virtual_mailbox_domains = example.org
virtual_mailbox_maps = texthash:$dir/postfix/vmailbox
virtual_transport = lmtp:inet:127.0.0.1:$plmtp
recipient_delimiter = +
default_transport = error:the lab relays nothing
relay_transport = \$default_transport
local_transport = error:the lab has no local delivery
alias_maps =
alias_database =
local_recipient_maps =
smtpd_relay_restrictions = permit_sasl_authenticated reject_unauth_destination
smtpd_sasl_auth_enable = yes
smtpd_sasl_type = dovecot
smtpd_sasl_path = inet:127.0.0.1:$pauth
smtpd_sasl_security_options = noanonymous
smtpd_tls_auth_only = yes
smtpd_tls_security_level = may
smtpd_tls_cert_file = $dir/tls/cert.pem
smtpd_tls_key_file = $dir/tls/key.pem
smtpd_error_sleep_time = 0
in_flow_delay = 0
smtpd_peername_lookup = no
queue_run_delay = 5s
minimal_backoff_time = 5s
maximal_backoff_time = 30s
biff = no
EOF
}

lab__postfix_master() {
	local psmtp=$1 psmtps=$2
	cat <<EOF
127.0.0.1:$psmtp inet n - n - - smtpd
127.0.0.1:$psmtps inet n - n - - smtpd
  -o smtpd_tls_wrappermode=yes
pickup unix n - n 60 1 pickup
cleanup unix n - n - 0 cleanup
qmgr unix n - n 300 1 qmgr
tlsmgr unix - - n 1000? 1 tlsmgr
rewrite unix - - n - - trivial-rewrite
bounce unix - - n - 0 bounce
defer unix - - n - 0 bounce
trace unix - - n - 0 bounce
verify unix - - n - 1 verify
flush unix n - n 1000? 0 flush
proxymap unix - - n - - proxymap
proxywrite unix - - n - 1 proxymap
smtp unix - - n - - smtp
relay unix - - n - - smtp
showq unix n - n - - showq
error unix - - n - - error
retry unix - - n - - error
discard unix - - n - - discard
lmtp unix - - n - - lmtp
anvil unix - - n - 1 anvil
scache unix - - n - 1 scache
postlog unix-dgram n - n - 1 postlogd
EOF
}

lab_start() {
	local dir=$1 ports pimap pimaps plmtp pauth psmtp psmtps poauth uid gid luser u q smtp py
	[ -n "$dir" ] || { lab__die "usage: lab_start DIR"; return 1; }
	case $dir in /*) ;; *) dir=$PWD/$dir ;; esac
	[ ${#dir} -le 60 ] || { lab__die "$dir: longer than 60 characters (socket paths)"; return 1; }
	[[ $dir =~ ^[A-Za-z0-9._/+-]+$ ]] || { lab__die "$dir: only [A-Za-z0-9._/+-] allowed"; return 1; }
	if [ -s "$dir/pids" ]; then
		lab__die "$dir: a lab is recorded as running there; lab_stop it first"
		return 1
	fi
	umask 022
	mkdir -p "$dir" || return 1
	chmod 755 "$dir"
	mkdir -p "$dir/run" "$dir/state" "$dir/log" "$dir/tls" "$dir/mail"
	rm -f "$dir/run/master.pid" "$dir/run/relay.pid" "$dir/pids"
	smtp=$(lab_smtp_server)

	if [ "$(id -u)" = 0 ]; then
		uid=$(id -u nobody) gid=$(getent group nogroup | cut -d: -f3)
		luser=
		chown "$uid:$gid" "$dir/mail"
		if ! setpriv --reuid "$uid" --regid "$gid" --clear-groups test -w "$dir/mail"; then
			lab__die "the mail user cannot reach $dir/mail: a parent folder lacks x for others"
			return 1
		fi
	else
		uid=$(id -u) gid=$(id -g)
		luser="default_login_user = $(id -un)
default_internal_user = $(id -un)
default_internal_group = $(id -gn)
service anvil {
  chroot =
}
service ipc {
  chroot =
}
service old-stats {
  chroot =
}
service aggregator {
  chroot =
}
service director {
  chroot =
}
service imap-urlauth-login {
  chroot =
}"
		echo "lab: not root: Dovecot runs as $(id -un); SMTP: $smtp (Postfix needs root)" >&2
	fi

	read -r pimap pimaps plmtp pauth psmtp psmtps poauth < <(lab__ports 7) || return 1

	if [ ! -s "$dir/tls/cert.pem" ]; then
		openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 3650 \
		    -subj "/CN=localhost" -addext "subjectAltName=DNS:localhost,IP:127.0.0.1" \
		    -keyout "$dir/tls/key.pem" -out "$dir/tls/cert.pem" 2>/dev/null ||
		    { lab__die "openssl failed"; return 1; }
	fi
	chmod 600 "$dir/tls/key.pem"

	: > "$dir/users"
	for u in $LAB_USERS; do
		echo "$u@example.org:{PLAIN}$LAB_PASSWORD::::::" >> "$dir/users"
	done
	chmod 644 "$dir/users"
	# XOAUTH2 and OAUTHBEARER: Dovecot asks a loopback introspection endpoint on
	# LAB_OAUTH2_PORT whose token it is; only an OAuth2 test runs one (oauth2_server.py).
	# PLAIN and LOGIN never reach this passdb.
	cat > "$dir/dovecot-oauth2.conf.ext" <<EOF
introspection_mode = post
introspection_url = http://127.0.0.1:$poauth/introspect
username_attribute = username
active_attribute = active
active_value = true
EOF
	chmod 644 "$dir/dovecot-oauth2.conf.ext"
	lab__dovecot_conf "$dir" "$uid" "$gid" "$pimap" "$pimaps" "$plmtp" "$pauth" "$luser" \
	    > "$dir/dovecot.conf"
	if ! doveconf -c "$dir/dovecot.conf" -n > "$dir/log/doveconf.out" 2>&1; then
		lab__die "dovecot.conf invalid: $(tail -1 "$dir/log/doveconf.out")"
		return 1
	fi
	if ! dovecot -c "$dir/dovecot.conf"; then
		lab__die "dovecot did not start; see $dir/log/dovecot.log"
		return 1
	fi
	lab__record "$dir" dovecot "$dir/run/master.pid" || { lab_stop "$dir"; return 1; }

	if [ "$smtp" = postfix ]; then
		q=$dir/postfix/queue
		mkdir -p "$dir/postfix" "$dir/postfix/data" "$q"
		for u in active bounce corrupt defer deferred flush hold incoming private saved trace; do
			mkdir -p "$q/$u"
			chown postfix:root "$q/$u"
			chmod 700 "$q/$u"
		done
		mkdir -p "$q/maildrop" "$q/public" "$q/pid"
		chown postfix:postdrop "$q/maildrop" "$q/public"
		chmod 730 "$q/maildrop"
		chmod 710 "$q/public"
		chmod 755 "$q/pid"
		chown postfix "$dir/postfix/data"
		chmod 700 "$dir/postfix/data"
		touch "$q/quick-start"
		lab__postfix_main "$dir" "$plmtp" "$pauth" "ilnlab-$$" > "$dir/postfix/main.cf"
		lab__postfix_master "$psmtp" "$psmtps" > "$dir/postfix/master.cf"
		for u in $LAB_USERS $LAB_POSTFIX_ONLY; do echo "$u@example.org OK"; done > "$dir/postfix/vmailbox"
		# Postfix re-reads files younger than a second; backdate ours.
		touch -d '-5 seconds' "$dir/postfix/main.cf" "$dir/postfix/master.cf" "$dir/postfix/vmailbox"
		if ! postfix -c "$dir/postfix" start > "$dir/log/postfix-start.out" 2>&1; then
			lab__die "postfix did not start: $(tail -2 "$dir/log/postfix-start.out")"
			lab_stop "$dir"
			return 1
		fi
		lab__record "$dir" postfix "$q/pid/master.pid" || { lab_stop "$dir"; return 1; }
	elif [ "$smtp" = relay ]; then
		py=$(lab__relay_python)
		# Its own session, cwd /, no descriptor of ours but files in DIR/log.
		"$py" "$LAB__HERE/relay.py" "$dir" "$psmtp" "$psmtps" "$plmtp" \
		    < /dev/null >> "$dir/log/relay.out" 2>&1 &
		if ! lab__record "$dir" relay "$dir/run/relay.pid"; then
			tail -5 "$dir/log/relay.out" >&2
			lab_stop "$dir"
			return 1
		fi
	else
		psmtp= psmtps=
	fi

	for u in $pimap $pimaps $plmtp $psmtp $psmtps; do
		lab__wait_port "$u" 10 || { lab__die "port $u never opened"; lab_stop "$dir"; return 1; }
	done
	cat > "$dir/env" <<EOF
export LAB_DIR=$dir
export LAB_IMAP_PORT=$pimap
export LAB_IMAPS_PORT=$pimaps
export LAB_LMTP_PORT=$plmtp
export LAB_AUTH_PORT=$pauth
export LAB_SMTP_PORT=$psmtp
export LAB_SMTPS_PORT=$psmtps
export LAB_OAUTH2_PORT=$poauth
export LAB_CA=$dir/tls/cert.pem
export LAB_PASSWORD=$LAB_PASSWORD
export LAB_DOVECOT_CONF=$dir/dovecot.conf
export LAB_HAS_POSTFIX=$([ "$smtp" = postfix ] && echo 1 || echo 0)
export LAB_SMTP_SERVER=$smtp
export LAB_SMTP_LOG=$dir/log/$([ "$smtp" = relay ] && echo relay || echo postfix).log
EOF
	return 0
}

lab_stop() {
	local dir=$1 name pid st now i rc=0 p cwd
	[ -n "$dir" ] || { lab__die "usage: lab_stop DIR"; return 1; }
	case $dir in /*) ;; *) dir=$PWD/$dir ;; esac
	[ -f "$dir/pids" ] || return 0
	while read -r name pid st; do
		now=$(lab__starttime "$pid")
		if [ "$now" != "$st" ]; then
			continue        # gone, a zombie, or the PID was reused: not ours
		fi
		kill -TERM "$pid" 2>/dev/null
	done < "$dir/pids"
	while read -r name pid st; do
		for ((i = 0; i < 200; i++)); do
			[ "$(lab__starttime "$pid")" = "$st" ] || break
			sleep 0.05
		done
		if [ "$(lab__starttime "$pid")" = "$st" ]; then
			echo "lab: $name ($pid) ignored SIGTERM for 10 s; SIGKILL" >&2
			kill -KILL "$pid" 2>/dev/null
			rc=1
		fi
	done < "$dir/pids"
	rm -f "$dir/pids"
	# Report, never kill, anything else still working in DIR.
	for p in /proc/[0-9]*; do
		cwd=$(readlink "$p/cwd" 2>/dev/null) || continue
		case $cwd in "$dir"|"$dir"/*)
			echo "lab: process ${p#/proc/} still has its cwd in $dir" >&2 ;;
		esac
	done
	return $rc
}
