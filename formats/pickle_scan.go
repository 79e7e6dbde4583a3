package formats

import (
	"bytes"
	"encoding/binary"
	"fmt"
)

// scanPickle walks the opcodes of a pickle stream without executing them
// and checks that every length-prefixed argument lies inside the stream,
// so that the unpickler never sizes an allocation from a corrupt length.
func scanPickle(p []byte) error {
	i := 0
	need := func(n uint64) error {
		if n > uint64(len(p)-i) {
			return fmt.Errorf("pickle opcode at byte %d: argument of %d bytes runs past the end of the %d-byte stream", i, n, len(p))
		}
		return nil
	}
	line := func() error {
		j := bytes.IndexByte(p[i:], '\n')
		if j < 0 {
			return fmt.Errorf("pickle opcode at byte %d: unterminated line argument", i)
		}
		i += j + 1
		return nil
	}
	for i < len(p) {
		op := p[i]
		i++
		var n uint64
		switch op {
		case '(', '.', '0', '1', '2', 'N', 'R', 'a', 'b', 'd', '}', 'e', 'l', ']', 'o', 's', 't', ')', 'u', 'Q',
			0x81, 0x85, 0x86, 0x87, 0x88, 0x89, 0x8f, 0x90, 0x91, 0x92, 0x93, 0x94, 0x97, 0x98:
			if op == '.' {
				return nil
			}
			continue
		case 0x80, 'K', 'h', 'q', 0x82:
			n = 1
		case 'M', 0x83:
			n = 2
		case 'J', 'j', 'r', 0x84:
			n = 4
		case 'G':
			n = 8
		case 0x95: // FRAME: the frame length must fit in the rest of the stream
			if err := need(8); err != nil {
				return err
			}
			if err := need(8 + binary.LittleEndian.Uint64(p[i:])); err != nil {
				return err
			}
			n = 8
		case 'I', 'L', 'F', 'S', 'V', 'P', 'g', 'p':
			if err := line(); err != nil {
				return err
			}
			continue
		case 'c', 'i':
			if err := line(); err != nil {
				return err
			}
			if err := line(); err != nil {
				return err
			}
			continue
		case 'U', 'C', 0x8c, 0x8a:
			if err := need(1); err != nil {
				return err
			}
			n = 1 + uint64(p[i])
		case 'T', 'X', 'B', 0x8b:
			if err := need(4); err != nil {
				return err
			}
			l := int32(binary.LittleEndian.Uint32(p[i:]))
			if l < 0 {
				return fmt.Errorf("pickle opcode at byte %d: negative length %d", i-1, l)
			}
			n = 4 + uint64(l)
		case 0x8d, 0x8e, 0x96:
			if err := need(8); err != nil {
				return err
			}
			l := binary.LittleEndian.Uint64(p[i:])
			if l > uint64(len(p)) {
				return fmt.Errorf("pickle opcode at byte %d: length %d runs past the end of the %d-byte stream", i-1, l, len(p))
			}
			n = 8 + l
		default:
			return fmt.Errorf("pickle: unknown opcode 0x%02x at byte %d", op, i-1)
		}
		if err := need(n); err != nil {
			return err
		}
		i += int(n)
	}
	return fmt.Errorf("pickle: stream of %d bytes ends without STOP", len(p))
}
