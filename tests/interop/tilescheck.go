// tilescheck - reads a provledger log over HTTP as c2sp.org/tlog-tiles with
// Go's golang.org/x/mod/sumdb/tlog tile functions and sumdb/note, code that
// nobody on provledger wrote.
//
//	tilescheck URL VKEY [N]
//	    fetch URL/checkpoint, verify it under the C2SP verifier key VKEY;
//	    recompute the tree hash of its size from the served hash tiles; for
//	    N entries spread over the log (default 50) read the entry bundle,
//	    hash the entry and check its inclusion proof, built from tiles,
//	    against the checkpoint. Prints "size root entries-checked".
//
// Exit 0 when everything verifies, 1 with a message otherwise.
package main

import (
	"bytes"
	"encoding/base64"
	"fmt"
	"io/ioutil"
	"net/http"
	"os"
	"strconv"
	"strings"

	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"
)

func fail(format string, args ...interface{}) {
	fmt.Fprintf(os.Stderr, "tilescheck: "+format+"\n", args...)
	os.Exit(1)
}

var base string

func get(path string) []byte {
	resp, err := http.Get(base + "/" + path)
	if err != nil {
		fail("%v", err)
	}
	defer resp.Body.Close()
	b, err := ioutil.ReadAll(resp.Body)
	if err != nil {
		fail("%s: %v", path, err)
	}
	if resp.StatusCode != 200 {
		fail("%s: HTTP %d: %s", path, resp.StatusCode, b)
	}
	return b
}

// c2spPath is the tile's path without the height element that sumdb's
// Tile.Path() has (tile/8/L/... -> tile/L/...), as c2sp.org/tlog-tiles names it.
func c2spPath(t tlog.Tile) string {
	p := t.Path()
	return strings.Replace(p, "tile/8/", "tile/", 1)
}

type reader struct{}

func (reader) Height() int { return 8 }
func (reader) ReadTiles(tiles []tlog.Tile) ([][]byte, error) {
	out := make([][]byte, len(tiles))
	for i, t := range tiles {
		out[i] = get(c2spPath(t))
	}
	return out, nil
}
func (reader) SaveTiles(tiles []tlog.Tile, data [][]byte) {}

func main() {
	if len(os.Args) < 3 {
		fail("usage: tilescheck URL VKEY [N]")
	}
	base = strings.TrimRight(os.Args[1], "/")
	n := 50
	if len(os.Args) > 3 {
		n, _ = strconv.Atoi(os.Args[3])
	}
	v, err := note.NewVerifier(os.Args[2])
	if err != nil {
		fail("verifier key: %v", err)
	}
	msg, err := note.Open(get("checkpoint"), note.VerifierList(v))
	if err != nil {
		fail("checkpoint: %v", err)
	}
	lines := strings.Split(msg.Text, "\n")
	if len(lines) < 3 {
		fail("checkpoint: too few lines")
	}
	size, err := strconv.ParseInt(lines[1], 10, 64)
	if err != nil || size <= 0 {
		fail("checkpoint: bad size %q", lines[1])
	}
	root, err := base64.StdEncoding.DecodeString(lines[2])
	if err != nil || len(root) != 32 {
		fail("checkpoint: bad root")
	}
	var tree tlog.Tree
	tree.N = size
	copy(tree.Hash[:], root)
	thr := tlog.TileHashReader(tree, reader{})
	h, err := tlog.TreeHash(size, thr)
	if err != nil {
		fail("TreeHash from tiles: %v", err)
	}
	if h != tree.Hash {
		fail("the tiles' tree hash differs from the checkpoint's root")
	}
	checked := 0
	step := size / int64(n)
	if step < 1 {
		step = 1
	}
	for i := int64(0); i < size; i += step {
		t := tlog.Tile{H: 8, L: -1, N: i / 256, W: 256}
		if left := size - t.N*256; left < 256 {
			t.W = int(left)
		}
		p := strings.Replace(c2spPath(t), "tile/data/", "tile/entries/", 1)
		if strings.Contains(p, "tile/8/") {
			p = strings.Replace(p, "tile/8/", "tile/", 1)
		}
		data := get(p)
		// the entry bundle: uint16 big-endian length, then the entry
		var entry []byte
		off := 0
		for k := int64(0); k <= i%256; k++ {
			if off+2 > len(data) {
				fail("%s: truncated bundle", p)
			}
			l := int(data[off])<<8 | int(data[off+1])
			if off+2+l > len(data) {
				fail("%s: truncated entry", p)
			}
			entry = data[off+2 : off+2+l]
			off += 2 + l
		}
		if !bytes.HasPrefix(entry, []byte("{")) {
			fail("entry %d is not a JSON envelope", i)
		}
		proof, err := tlog.ProveRecord(size, i, thr)
		if err != nil {
			fail("ProveRecord(%d, %d): %v", size, i, err)
		}
		if err := tlog.CheckRecord(proof, size, tree.Hash, i, tlog.RecordHash(entry)); err != nil {
			fail("CheckRecord(%d): %v", i, err)
		}
		checked++
	}
	fmt.Printf("%d %s %d\n", size, lines[2], checked)
}
