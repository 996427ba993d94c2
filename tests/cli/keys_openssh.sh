#!/bin/bash
# keys_openssh.sh - --key with keys made by ssh-keygen: OpenSSH private keys,
# plain and passphrase-protected (PROVLEDGER_PASSPHRASE_FILE, a terminal
# prompt, no source at all), keys held by a real ssh-agent (--key
# agent:SHA256:...), whose signatures must be the file's byte for byte; key
# and passphrase files that are FIFOs, links, directories or too open. The
# ledgers are then checked by verify, git verify-commit, ssh-keygen -Y verify
# and Python's cryptography (tests/interop/dssecheck.py).
HERE=$(cd "$(dirname "$0")" && pwd)
INTEROP=$(cd "$HERE/../interop" && pwd)
. "$HERE/lib.sh"

export PROVLEDGER_TIME=1767225600
unset PROVLEDGER_PASSPHRASE_FILE SSH_AUTH_SOCK SSH_AGENT_PID
PY=/usr/bin/python3
[ -x "$PY" ] || PY=python3
have() { command -v "$1" >/dev/null 2>&1; }
if ! have ssh-keygen; then
	skip "OpenSSH keys" "no ssh-keygen"
	finish
	exit
fi
fp() { ssh-keygen -lf "$1" | awk '{print $2}'; }
entries() { git -C "$1/repo.git" rev-list --count main 2>/dev/null; }
entry_path() { printf 'entries/%03d/%03d/%03d.json' $(($1 / 1000000)) $(($1 / 1000 % 1000)) $(($1 % 1000)); }
js() { "$PY" -c "import json,sys; d=json.load(open(sys.argv[1])); print($1)" "$2"; }
lacks() { ! grep -qF -- "$1" "$2"; }
# nosource CMD...: no PROVLEDGER_PASSPHRASE_FILE and no controlling terminal
nosource() { run setsid -w "$@"; }

for i in 1 2 3 4; do "$PY" "$HERE/gen_corpus.py" prose 400 "$i" >"book$i.txt"; done

# ---- unencrypted OpenSSH keys, as ssh-keygen writes them
pl --ledger L init --origin example.org/keys
expect "init" 0
ssh-keygen -q -t ed25519 -N '' -C acme -f k
pl --ledger L --json key register k.pub --key k --role lab --name acme
expect "key register --key <OpenSSH key>" 0
check "the keyid is ssh-keygen -lf's fingerprint" [ "$(js 'd["keyid"]' "$OUT")" = "$(fp k.pub)" ]

# ---- passphrase-protected keys, the passphrase in PROVLEDGER_PASSPHRASE_FILE
ssh-keygen -q -t ed25519 -N 'correct horse' -C rh -f rh
ssh-keygen -q -t ed25519 -N 'correct horse' -Z aes256-gcm@openssh.com -C gcm -f gcm
printf 'correct horse\n' >pass
chmod 600 pass
export PROVLEDGER_PASSPHRASE_FILE=$T/pass
pl --ledger L key register rh.pub --key rh --role rights-holder --name rh
expect "aes256-ctr key, passphrase file" 0
pl --ledger L key register gcm.pub --key gcm --role lab --name gcm
expect "aes256-gcm@openssh.com key, passphrase file" 0
pl --ledger L --json work register book1.txt --title "A Book" --holder "Acme Press" --key rh
expect "work register --key <encrypted key>" 0
printf 'correct horse\r\nanother line\n' >pass
pl --ledger L work register book2.txt --title "B Book" --holder "Acme Press" --key rh
expect "passphrase file: the first line, CRLF stripped" 0
n=$(entries L)

printf 'wrong horse\n' >pass
pl --ledger L work register book2.txt --title "C" --holder H --key rh
expect "wrong passphrase: exit 3" 3 "provledger: rh: incorrect passphrase"
pl --ledger L work register book2.txt --title "C" --holder H --key gcm
expect "wrong passphrase (gcm): exit 3" 3 "provledger: gcm: incorrect passphrase"
check "wrong passphrase: nothing appended" [ "$(entries L)" = "$n" ]
: >pass
pl --ledger L work register book2.txt --title "C" --holder H --key rh
expect "empty passphrase file: exit 3" 3 "rh: empty passphrase"
printf 'correct horse\n' >pass
chmod 644 pass
pl --ledger L work register book2.txt --title "C" --holder H --key rh
expect "passphrase file 0644: exit 3" 3 "PROVLEDGER_PASSPHRASE_FILE: $T/pass: permissions 0644 are too open (must be 0600)"
chmod 600 pass
ln -s pass pass.link
PROVLEDGER_PASSPHRASE_FILE=$T/pass.link pl --ledger L work register book2.txt --title C --holder H --key rh
expect "passphrase file through a symlink: exit 3" 3 "is a symbolic link; refusing to read a passphrase through it"
mkfifo pass.fifo
PROVLEDGER_PASSPHRASE_FILE=$T/pass.fifo run timeout 10 "$PL" --ledger L work register book2.txt --title C --holder H --key rh
expect "passphrase file is a FIFO: exit 3 at once" 3 "pass.fifo: not a regular file"
PROVLEDGER_PASSPHRASE_FILE=$T/missing pl --ledger L work register book2.txt --title C --holder H --key rh
expect "passphrase file missing: exit 3" 3 "PROVLEDGER_PASSPHRASE_FILE: $T/missing: No such file or directory"
unset PROVLEDGER_PASSPHRASE_FILE
nosource "$PL" --ledger L work register book2.txt --title C --holder H --key rh
expect "no passphrase source: exit 3" 3 "rh: the key is protected by a passphrase; give it in a file (mode 0600) named by PROVLEDGER_PASSPHRASE_FILE"
ssh-keygen -q -t ed25519 -N '' -C k3 -f k3
nosource "$PL" --ledger L key register k3.pub --key k3 --role lab
expect "no passphrase source, unencrypted key: not asked" 0
check "refusals appended nothing" [ "$(entries L)" = $((n + 1)) ]

# ---- the passphrase typed at a terminal (a pty), echo off
tty_run() { # tty_run PASSPHRASE ARGS...: provledger on a pty; prints the exit code
	"$PY" - "$@" <<'EOF'
import os, pty, sys, select
pw, args = sys.argv[1], sys.argv[2:]
pid, fd = pty.fork()
if pid == 0:
    os.execv(os.environ["PL"], [os.environ["PL"]] + args)
out, sent = b"", False
while True:
    r, _, _ = select.select([fd], [], [], 20)
    if not r:
        break
    try:
        chunk = os.read(fd, 4096)
    except OSError:
        break
    if not chunk:
        break
    out += chunk
    if not sent and b"Enter passphrase for " in out:
        os.write(fd, pw.encode() + b"\n")
        sent = True
_, status = os.waitpid(pid, 0)
open("tty.out", "wb").write(out)
print(os.WEXITSTATUS(status) if os.WIFEXITED(status) else 128)
EOF
}
export PL
if [ -e /dev/ptmx ]; then
	rc=$(tty_run 'correct horse' --ledger L work register book4.txt --title "T Book" --holder H --key rh 2>/dev/null)
	check "terminal prompt: exit 0" [ "$rc" = 0 ]
	check "terminal prompt: 'Enter passphrase for rh: '" grep -qF 'Enter passphrase for rh: ' tty.out
	check "terminal prompt: the passphrase is not echoed" lacks 'correct horse' tty.out
	rc=$(tty_run 'wrong horse' --ledger L work register book3.txt --title "U" --holder H --key rh 2>/dev/null)
	check "terminal prompt, wrong passphrase: exit 3" [ "$rc" = 3 ]
	check "terminal prompt, wrong passphrase: the message" grep -qF 'rh: incorrect passphrase' tty.out
	# Ctrl-C at the prompt: killed by SIGINT, the terminal's echo back on
	res=$("$PY" - --ledger L work register book3.txt --title V --holder H --key rh <<'EOF'
import os, pty, sys, termios, time
pid, fd = pty.fork()
if pid == 0:
    os.execv(os.environ["PL"], [os.environ["PL"]] + sys.argv[1:])
out, t0 = b"", time.time()
while b"Enter passphrase for " not in out and time.time() - t0 < 20:
    out += os.read(fd, 4096)
time.sleep(0.2)
during = termios.tcgetattr(fd)[3] & termios.ECHO
os.write(fd, b"\x03")
_, status = os.waitpid(pid, 0)
after = termios.tcgetattr(fd)[3] & termios.ECHO
print("echo-off-during" if not during else "echo-on-during",
      "sigint" if os.WIFSIGNALED(status) and os.WTERMSIG(status) == 2 else "status %d" % status,
      "echo-on-after" if after else "echo-off-after")
EOF
	)
	check "terminal prompt: Ctrl-C kills it and restores echo ($res)" [ "$res" = "echo-off-during sigint echo-on-after" ]
else
	skip "terminal prompt" "no /dev/ptmx"
fi

# ---- key files that are not plain 0600 files: refused at once, exit 3
mkfifo fifo
run timeout 10 "$PL" --ledger L key register k.pub --key fifo --role lab
expect "--key FIFO: exit 3 at once" 3 "provledger: fifo: not a regular file"
ln -s k k.link
pl --ledger L key register k.pub --key k.link --role lab
expect "--key symlink: exit 3" 3 "k.link: is a symbolic link; refusing to read a private key through it"
mkdir kdir
pl --ledger L key register k.pub --key kdir --role lab
expect "--key directory: exit 3" 3 "kdir: not a regular file"
pl --ledger L key register k.pub --key /dev/null --role lab
expect "--key /dev/null: exit 3" 3 "/dev/null: not a regular file"
cp k k644 && chmod 644 k644
pl --ledger L key register k.pub --key k644 --role lab
expect "--key 0644: exit 3" 3 "k644: permissions 0644 are too open (must be 0600)"
head -c 70000 /dev/zero >kbig && chmod 600 kbig
pl --ledger L key register k.pub --key kbig --role lab
expect "--key too large: exit 3" 3 "kbig: larger than 65536 bytes; not a key file"
ssh-keygen -q -t ed25519 -N 'x y' -Z chacha20-poly1305@openssh.com -f cc
pl --ledger L key register k.pub --key cc --role lab
expect "--key chacha20-poly1305 key: exit 3" 3 "cc: unsupported cipher chacha20-poly1305@openssh.com"
ssh-keygen -q -t ecdsa -N '' -f ec
pl --ledger L key register k.pub --key ec --role lab
expect "--key ecdsa key: exit 3" 3 "ec: a key of type ecdsa-sha2-nistp256; only ssh-ed25519 keys are supported"

# ---- ssh-agent: --key agent:SHA256:...
ssh-keygen -q -t ed25519 -N '' -C agentlab -f a
ssh-keygen -q -t ed25519 -N '' -C agentrh -f arh
pl --ledger L key register a.pub --key agent:"$(fp a.pub)" --role lab --name agentlab
expect "agent: no SSH_AUTH_SOCK: exit 3" 3 "SSH_AUTH_SOCK is not set"
SSH_AUTH_SOCK=$T/no-agent pl --ledger L key register a.pub --key agent:"$(fp a.pub)" --role lab --name agentlab
expect "agent: unreachable: exit 3" 3 "ssh-agent at $T/no-agent: cannot connect: No such file or directory"
if have ssh-agent && have ssh-add; then
	eval "$(ssh-agent -s -a "$T/agent.sock")" >/dev/null
	trap 'kill "$SSH_AGENT_PID" 2>/dev/null; rm -rf "$T"' EXIT
	ssh-add -q a 2>/dev/null
	ssh-add -q arh 2>/dev/null
	pl --ledger L key register k.pub --key agent:"$(fp k.pub)" --role lab --name acme
	expect "agent: key not in the agent: exit 3" 3 "ssh-agent at $T/agent.sock holds no ssh-ed25519 key $(fp k.pub)"
	pl --ledger L key register a.pub --key agent:SHA256:abc --role lab --name agentlab
	expect "agent: a malformed fingerprint: exit 3" 3 "'SHA256:abc' is not an OpenSSH fingerprint"
	pl --ledger L --json key register a.pub --key agent:"$(fp a.pub)" --role lab --name agentlab
	expect "agent: key register --key agent:FINGERPRINT" 0
	aseq=$(js 'd["entry"]["seq"]' "$OUT")
	pl --ledger L key register arh.pub --key agent:"$(fp arh.pub)" --role rights-holder --name agentrh
	expect "agent: a rights-holder key" 0
	pl --ledger L --json work register book1.txt --title "D Book" --holder "Agent Press" --key agent:"$(fp arh.pub)"
	check "agent: a work already registered is refused (exit 3)" [ "$RC" = 3 ]
	pl --ledger L work register book3.txt --title "D Book" --holder "Agent Press" --key agent:"$(fp arh.pub)"
	expect "agent: work register --key agent:FINGERPRINT" 0
	# The same statement signed from the file in another ledger: the same bytes.
	pl --ledger M init --origin example.org/keys
	pl --ledger M --json key register a.pub --key a --role lab --name agentlab
	expect "file: the same key registered from its file" 0
	mseq=$(js 'd["entry"]["seq"]' "$OUT")
	git -C L/repo.git cat-file blob "main:$(entry_path "$aseq")" >agent.json
	git -C M/repo.git cat-file blob "main:$(entry_path "$mseq")" >file.json
	check "agent and file: the key entries are byte-identical (Ed25519 is deterministic)" cmp -s agent.json file.json
	check "agent and file: the signatures are the same" [ "$(js 'd["signatures"][0]["sig"]' agent.json)" = "$(js 'd["signatures"][0]["sig"]' file.json)" ]
	kill "$SSH_AGENT_PID" 2>/dev/null
	wait "$SSH_AGENT_PID" 2>/dev/null
	pl --ledger L key register arh.pub --key agent:"$(fp arh.pub)" --role rights-holder --name agentrh
	expect "agent: killed: exit 3" 3 "ssh-agent at $T/agent.sock: cannot connect"
else
	skip "ssh-agent" "no ssh-agent or ssh-add"
fi

# ---- an OpenSSH key as the operator's: init --operator-key, commits signed with it
ssh-keygen -q -t ed25519 -N '' -C op -f op
pl --ledger O init --origin example.org/op --operator-key op
expect "init --operator-key <OpenSSH key>" 0
pl --ledger O key register k.pub --key k --role lab --name acme
expect "an append to a ledger whose operator key is an OpenSSH key" 0
ssh-keygen -q -t ed25519 -N 'op pass' -f openc
pl --ledger P init --operator-key openc
expect "init --operator-key <encrypted key>: exit 3" 3 "openc: the key is protected by a passphrase and none was given"

# ---- the ledgers, checked by provledger and by tools nobody here wrote
for D in L O; do
	pl --ledger "$D" verify
	expect "$D: verify" 0
	pl --ledger "$D" key allowed-signers
	cp "$OUT" "allowed.$D"
	if have git; then
		good=0 total=0
		for c in $(git -C "$D/repo.git" rev-list main); do
			total=$((total + 1))
			git -c gpg.ssh.allowedSignersFile="$T/allowed.$D" -C "$D/repo.git" verify-commit "$c" >/dev/null 2>&1 && good=$((good + 1))
		done
		check "$D: git verify-commit: all $total commits" [ "$good" = "$total" ]
		c=$(git -C "$D/repo.git" rev-parse main)
		git -C "$D/repo.git" cat-file commit "$c" | awk '
			BEGIN { body = 0; s = 0 }
			body { print > "payload"; next }
			/^$/ { body = 1; s = 0; print > "payload"; next }
			/^gpgsig / { s = 1; print substr($0, 8) > "sig"; next }
			s && /^ / { print substr($0, 2) > "sig"; next }
			{ s = 0; print > "payload" }'
		operator=$(awk '{print $1; exit}' "allowed.$D")
		ssh-keygen -Y verify -f "allowed.$D" -I "$operator" -n git -s sig <payload >/dev/null 2>&1
		check "$D: ssh-keygen -Y verify: the head commit" [ $? = 0 ]
		rm -f payload sig
	fi
	if "$PY" -c 'import cryptography' 2>/dev/null; then
		files=""
		for s in $(seq 0 $(($(entries "$D") - 1))); do
			git -C "$D/repo.git" cat-file blob "main:$(entry_path "$s")" >"$D.entry$s"
			files="$files $D.entry$s"
		done
		run "$PY" "$INTEROP/dssecheck.py" $files
		expect "$D: python cryptography: every DSSE signature verifies" 0
	else
		skip "$D: python cryptography DSSE" "no python3-cryptography"
	fi
done

finish
