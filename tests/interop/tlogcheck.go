// tlogcheck - checks provledger's checkpoints and proofs with Go's
// golang.org/x/mod/sumdb/note and golang.org/x/mod/sumdb/tlog, code that
// nobody on provledger wrote.
//
//	tlogcheck note VKEY CHECKPOINT
//	    verify the signed note under the verifier key; print "size root"
//	tlogcheck inclusion VKEY ENTRY TLOG_PROOF
//	    ENTRY holds the entry's bytes; TLOG_PROOF is `provledger prove SEQ
//	    [--size N]` output (c2sp.org/tlog-proof@v1 with its checkpoint)
//	tlogcheck consistency VKEY OLD_TLOG_PROOF NEW_TLOG_PROOF PROOF
//	    the checkpoints of two tlog-proof files and `provledger prove
//	    --consistency OLD --size N` output between their sizes
//
// Exit 0 when everything verifies, 1 with a message otherwise.
package main

import (
	"bytes"
	"encoding/base64"
	"fmt"
	"io/ioutil"
	"os"
	"strconv"
	"strings"

	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"
)

func fail(format string, args ...interface{}) {
	fmt.Fprintf(os.Stderr, "tlogcheck: "+format+"\n", args...)
	os.Exit(1)
}

func read(path string) []byte {
	b, err := ioutil.ReadFile(path)
	if err != nil {
		fail("%v", err)
	}
	return b
}

func hash(s string) tlog.Hash {
	b, err := base64.StdEncoding.DecodeString(s)
	if err != nil || len(b) != tlog.HashSize {
		fail("bad hash %q", s)
	}
	var h tlog.Hash
	copy(h[:], b)
	return h
}

// checkpoint verifies a signed checkpoint note and returns its size and root.
func checkpoint(vkey string, msg []byte) (int64, tlog.Hash) {
	v, err := note.NewVerifier(vkey)
	if err != nil {
		fail("verifier key: %v", err)
	}
	n, err := note.Open(msg, note.VerifierList(v))
	if err != nil {
		fail("checkpoint: %v", err)
	}
	lines := strings.Split(n.Text, "\n")
	if len(lines) < 4 || lines[0] != v.Name() {
		fail("checkpoint: origin %q is not %q", lines[0], v.Name())
	}
	size, err := strconv.ParseInt(lines[1], 10, 64)
	if err != nil {
		fail("checkpoint: bad size %q", lines[1])
	}
	return size, hash(lines[2])
}

// tlogProof splits a c2sp.org/tlog-proof@v1 document.
func tlogProof(b []byte) (int64, []tlog.Hash, []byte) {
	i := bytes.Index(b, []byte("\n\n"))
	if i < 0 {
		fail("tlog-proof: no blank line")
	}
	lines := strings.Split(string(b[:i]), "\n")
	if len(lines) < 2 || lines[0] != "c2sp.org/tlog-proof@v1" || !strings.HasPrefix(lines[1], "index ") {
		fail("tlog-proof: bad header")
	}
	index, err := strconv.ParseInt(strings.TrimPrefix(lines[1], "index "), 10, 64)
	if err != nil {
		fail("tlog-proof: bad index")
	}
	var p []tlog.Hash
	for _, l := range lines[2:] {
		p = append(p, hash(l))
	}
	return index, p, b[i+2:]
}

func main() {
	if len(os.Args) < 2 {
		fail("usage: tlogcheck note|inclusion|consistency ...")
	}
	switch {
	case os.Args[1] == "note" && len(os.Args) == 4:
		size, root := checkpoint(os.Args[2], read(os.Args[3]))
		fmt.Printf("%d %s\n", size, root)
	case os.Args[1] == "inclusion" && len(os.Args) == 5:
		index, proof, cp := tlogProof(read(os.Args[4]))
		size, root := checkpoint(os.Args[2], cp)
		leaf := tlog.RecordHash(read(os.Args[3]))
		if err := tlog.CheckRecord(tlog.RecordProof(proof), size, root, index, leaf); err != nil {
			fail("inclusion of %d in %d: %v", index, size, err)
		}
		fmt.Printf("inclusion %d in %d ok\n", index, size)
	case os.Args[1] == "consistency" && len(os.Args) == 6:
		_, _, ocp := tlogProof(read(os.Args[3]))
		_, _, ncp := tlogProof(read(os.Args[4]))
		osize, oroot := checkpoint(os.Args[2], ocp)
		nsize, nroot := checkpoint(os.Args[2], ncp)
		var proof tlog.TreeProof
		for _, l := range strings.Fields(string(read(os.Args[5]))) {
			proof = append(proof, hash(l))
		}
		if err := tlog.CheckTree(proof, nsize, nroot, osize, oroot); err != nil {
			fail("consistency %d -> %d: %v", osize, nsize, err)
		}
		fmt.Printf("consistency %d -> %d ok\n", osize, nsize)
	default:
		fail("usage: tlogcheck note|inclusion|consistency ...")
	}
}
