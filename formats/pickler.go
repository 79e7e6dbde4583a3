package formats

import (
	"bytes"
	"encoding/binary"
)

// Pickle opcodes used by the writer (protocol 2).
const (
	opMark       = '('
	opStop       = '.'
	opEmptyTuple = ')'
	opTuple      = 't'
	opReduce     = 'R'
	opSetItems   = 'u'
	opBinPersID  = 'Q'
	opGlobal     = 'c'
	opBinUnicode = 'X'
	opBinInt     = 'J'
	opLong1      = 0x8a
	opNewFalse   = 0x89
	opProto      = 0x80
)

// pickler emits a protocol-2 pickle stream without memoization.
type pickler struct{ buf bytes.Buffer }

func newPickler() *pickler {
	p := &pickler{}
	p.buf.Write([]byte{opProto, 2})
	return p
}

func (p *pickler) op(ops ...byte) { p.buf.Write(ops) }

func (p *pickler) global(module, name string) {
	p.buf.WriteByte(opGlobal)
	p.buf.WriteString(module + "\n" + name + "\n")
}

func (p *pickler) unicode(s string) {
	var n [4]byte
	binary.LittleEndian.PutUint32(n[:], uint32(len(s)))
	p.buf.WriteByte(opBinUnicode)
	p.buf.Write(n[:])
	p.buf.WriteString(s)
}

func (p *pickler) int(v int64) {
	if v >= -1<<31 && v < 1<<31 {
		var n [4]byte
		binary.LittleEndian.PutUint32(n[:], uint32(int32(v)))
		p.buf.WriteByte(opBinInt)
		p.buf.Write(n[:])
		return
	}
	var n [8]byte
	binary.LittleEndian.PutUint64(n[:], uint64(v))
	p.buf.Write([]byte{opLong1, 8})
	p.buf.Write(n[:])
}

func (p *pickler) intTuple(v []int) {
	if len(v) == 0 {
		p.op(opEmptyTuple)
		return
	}
	p.op(opMark)
	for _, x := range v {
		p.int(int64(x))
	}
	p.op(opTuple)
}
