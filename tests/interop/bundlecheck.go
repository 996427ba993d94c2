// bundlecheck: verify a provledger bundle's checkpoint signature and every
// inclusion proof with Go's golang.org/x/mod/sumdb/{note,tlog}, code nobody
// in provledger wrote. Build in GOPATH mode with Debian's
// golang-golang-x-mod-dev:
//
//	GO111MODULE=off GOPATH=/usr/share/gocode go run bundlecheck.go BUNDLE OPERATOR.pub
//
// Exit 0 when the checkpoint and every proof verify, 1 otherwise.
package main

import (
	"bytes"
	"compress/gzip"
	"crypto/ed25519"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"regexp"
	"strconv"
	"strings"

	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"
)

type bundle struct {
	Format     string `json:"format"`
	Origin     string `json:"origin"`
	Checkpoint string `json:"checkpoint"`
	Entries    []struct {
		Seq      int64    `json:"seq"`
		Envelope string   `json:"envelope"`
		Proof    []string `json:"proof"`
	} `json:"entries"`
}

func die(f string, a ...interface{}) {
	fmt.Fprintf(os.Stderr, "bundlecheck: "+f+"\n", a...)
	os.Exit(1)
}

// The raw Ed25519 key of an OpenSSH "ssh-ed25519 AAAA..." line.
func sshKey(path string) ed25519.PublicKey {
	data, err := os.ReadFile(path)
	if err != nil {
		die("%v", err)
	}
	m := regexp.MustCompile(`ssh-ed25519 ([A-Za-z0-9+/=]+)`).FindSubmatch(data)
	if m == nil {
		die("%s: no ssh-ed25519 key", path)
	}
	blob, err := base64.StdEncoding.DecodeString(string(m[1]))
	if err != nil || len(blob) != 51 || binary.BigEndian.Uint32(blob) != 11 ||
		string(blob[4:15]) != "ssh-ed25519" || binary.BigEndian.Uint32(blob[15:]) != 32 {
		die("%s: malformed ssh-ed25519 key", path)
	}
	return ed25519.PublicKey(blob[19:])
}

func main() {
	if len(os.Args) != 3 {
		die("usage: bundlecheck BUNDLE OPERATOR.pub")
	}
	f, err := os.Open(os.Args[1])
	if err != nil {
		die("%v", err)
	}
	z, err := gzip.NewReader(f)
	if err != nil {
		die("%v", err)
	}
	raw, err := io.ReadAll(z)
	if err != nil {
		die("gunzip: %v", err)
	}
	var b bundle
	if err := json.NewDecoder(bytes.NewReader(raw)).Decode(&b); err != nil {
		die("json: %v", err)
	}
	if b.Format != "provledger-bundle/v1" {
		die("not a provledger bundle")
	}
	vkey, err := note.NewEd25519VerifierKey(b.Origin, sshKey(os.Args[2]))
	if err != nil {
		die("%v", err)
	}
	v, err := note.NewVerifier(vkey)
	if err != nil {
		die("%v", err)
	}
	n, err := note.Open([]byte(b.Checkpoint), note.VerifierList(v))
	if err != nil {
		die("checkpoint: %v", err)
	}
	lines := strings.Split(n.Text, "\n")
	size, err := strconv.ParseInt(lines[1], 10, 64)
	if lines[0] != b.Origin || err != nil {
		die("checkpoint: bad origin or size")
	}
	root, err := tlog.ParseHash(lines[2])
	if err != nil {
		die("checkpoint: %v", err)
	}
	fmt.Printf("ok    checkpoint %s size %d root %s (note.Open)\n", b.Origin, size, root)
	failed := 0
	for _, e := range b.Entries {
		var proof tlog.RecordProof
		for _, p := range e.Proof {
			h, err := tlog.ParseHash(p)
			if err != nil {
				die("seq %d: %v", e.Seq, err)
			}
			proof = append(proof, h)
		}
		leaf := tlog.RecordHash([]byte(e.Envelope))
		if err := tlog.CheckRecord(proof, size, root, e.Seq, leaf); err != nil {
			fmt.Printf("FAIL  seq %d: %v\n", e.Seq, err)
			failed++
		} else {
			fmt.Printf("ok    seq %d (tlog.CheckRecord)\n", e.Seq)
		}
	}
	if failed > 0 {
		die("%d proofs failed", failed)
	}
	fmt.Println("VERIFIED")
}
