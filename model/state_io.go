package model

import (
	"encoding/binary"
	"fmt"
	"math"

	"github.com/quamba/quamba/formats"
)

// A saved decode state (State.AppendBinary) is, little endian:
//
//	magic     [4]byte "QMST"
//	version   uint32  2
//	arch      uint32  1 Mamba1, 2 Mamba2
//	n_layer, d_model, d_inner, d_state, d_conv, conv_len, ssm_len  uint32
//	ssm_bits  uint32  32: float32 SSM state; 8: int8 codes (an int8 state cache)
//	per layer: conv_len float32 conv state (conv-block layout),
//	           ssm_len SSM state values (scan layout): float32, or int8 codes
//	           of the model's state scales
//
// 44 + n_layer·(4·conv_len + ssm_len·ssm_bits/8) bytes: a Mamba's whole
// context in a fixed size (mamba-130m: 24 layers · (6144 + 24576) values,
// 2.9 MB in float32, 1.2 MB with an int8 state). Version 1 (no ssm_bits,
// float32 only, 40-byte header) is still read.
const (
	stateMagic   = "QMST"
	stateVersion = 2
	stateHeader  = 44
)

// stateDims are the header fields that must match the model's.
func (s *State) stateDims() [9]uint32 {
	cfg := s.m.Config
	arch := uint32(1)
	if cfg.Arch == formats.Mamba2 {
		arch = 2
	}
	return [9]uint32{arch, uint32(cfg.NLayer), uint32(cfg.DModel), uint32(cfg.DInner), uint32(cfg.DState),
		uint32(cfg.DConv), uint32(convDim(cfg) * cfg.DConv), uint32(ssmLen(cfg)), uint32(s.m.ssmBits())}
}

// ssmBits is the width of a stored SSM state value.
func (m *Model) ssmBits() int {
	if m.codec != nil {
		return 8
	}
	return 32
}

// StateBytes is the size of a saved state of m.
func (m *Model) StateBytes() int {
	cfg := m.Config
	return stateHeader + cfg.NLayer*(4*convDim(cfg)*cfg.DConv+ssmLen(cfg)*m.ssmBits()/8)
}

// AppendBinary appends the decode state (not the scratch, not the observer)
// to b: restoring it with UnmarshalBinary continues the sequence exactly.
func (s *State) AppendBinary(b []byte) ([]byte, error) {
	b = append(b, stateMagic...)
	b = binary.LittleEndian.AppendUint32(b, stateVersion)
	for _, v := range s.stateDims() {
		b = binary.LittleEndian.AppendUint32(b, v)
	}
	f32 := func(b []byte, v []float32) []byte {
		for _, x := range v {
			b = binary.LittleEndian.AppendUint32(b, math.Float32bits(x))
		}
		return b
	}
	for i := range s.conv {
		b = f32(b, s.conv[i])
		if s.ssmQ != nil {
			for _, q := range s.ssmQ[i] {
				b = append(b, byte(q))
			}
		} else {
			b = f32(b, s.ssm[i])
		}
	}
	return b, nil
}

// MarshalBinary returns the saved decode state (see AppendBinary).
func (s *State) MarshalBinary() ([]byte, error) {
	return s.AppendBinary(make([]byte, 0, s.m.StateBytes()))
}

// UnmarshalBinary restores a decode state saved from a state of a model of
// the same shape and state type. A state of another shape or type, a
// truncated or corrupt buffer or a non-finite value is an error, and s is
// left unchanged.
func (s *State) UnmarshalBinary(b []byte) error {
	if len(b) < 8 || string(b[:4]) != stateMagic {
		return fmt.Errorf("model: saved state: not a quamba decode state (%d bytes, bad magic)", len(b))
	}
	want, header := s.stateDims(), stateHeader
	dims := len(want)
	switch v := binary.LittleEndian.Uint32(b[4:]); v {
	case stateVersion:
	case 1:
		header, dims = stateHeader-4, len(want)-1 // float32 SSM state, no ssm_bits
		if want[8] != 32 {
			return fmt.Errorf("model: saved state: version 1 holds a float32 SSM state, the model keeps an int8 one")
		}
	default:
		return fmt.Errorf("model: saved state: version %d, this quamba reads 1 and %d", v, stateVersion)
	}
	if len(b) < header {
		return fmt.Errorf("model: saved state: %d bytes, shorter than its %d-byte header", len(b), header)
	}
	names := [9]string{"architecture", "n_layer", "d_model", "d_inner", "d_state", "d_conv", "conv state length", "SSM state length", "SSM state bits"}
	for j, w := range want[:dims] {
		if got := binary.LittleEndian.Uint32(b[8+4*j:]); got != w {
			return fmt.Errorf("model: saved state: %s is %d, the model has %d", names[j], got, w)
		}
	}
	if size := s.m.StateBytes() - stateHeader + header; len(b) != size {
		return fmt.Errorf("model: saved state: %d bytes, want %d", len(b), size)
	}
	convLen, ssmN := int(want[6]), int(want[7])
	layerBytes := 4*convLen + ssmN*int(want[8])/8
	body := b[header:]
	for i := range s.conv {
		lb := body[i*layerBytes : (i+1)*layerBytes]
		floats := lb
		if s.ssmQ != nil {
			floats = lb[:4*convLen]
		}
		for j := 0; j < len(floats); j += 4 {
			if f := math.Float32frombits(binary.LittleEndian.Uint32(floats[j:])); math.IsNaN(float64(f)) || math.IsInf(float64(f), 0) {
				return fmt.Errorf("model: saved state: non-finite value %v at byte %d", f, header+i*layerBytes+j)
			}
		}
	}
	f32 := func(dst []float32, src []byte) []byte {
		for k := range dst {
			dst[k] = math.Float32frombits(binary.LittleEndian.Uint32(src))
			src = src[4:]
		}
		return src
	}
	for i := range s.conv {
		body = f32(s.conv[i], body)
		if s.ssmQ != nil {
			for k := range s.ssmQ[i] {
				s.ssmQ[i][k] = int8(body[k])
			}
			body = body[ssmN:]
		} else {
			body = f32(s.ssm[i], body)
		}
	}
	return nil
}
