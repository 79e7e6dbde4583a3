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
//	version   uint32  1
//	arch      uint32  1 Mamba1, 2 Mamba2
//	n_layer, d_model, d_inner, d_state, d_conv, conv_len, ssm_len  uint32
//	per layer: conv_len float32 conv state (conv-block layout),
//	           ssm_len float32 SSM state (scan layout)
//
// 4·(10 + n_layer·(conv_len + ssm_len)) bytes: a Mamba's whole context in a
// fixed size (mamba-130m: 24 layers · (6144 + 24576) floats, 2.9 MB).
const (
	stateMagic   = "QMST"
	stateVersion = 1
	stateHeader  = 40
)

// stateDims are the header fields that must match the model's.
func (s *State) stateDims() [8]uint32 {
	cfg := s.m.Config
	arch := uint32(1)
	if cfg.Arch == formats.Mamba2 {
		arch = 2
	}
	return [8]uint32{arch, uint32(cfg.NLayer), uint32(cfg.DModel), uint32(cfg.DInner), uint32(cfg.DState),
		uint32(cfg.DConv), uint32(len(s.conv[0])), uint32(len(s.ssm[0]))}
}

// StateBytes is the size of a saved state of m.
func (m *Model) StateBytes() int {
	cfg := m.Config
	return stateHeader + 4*cfg.NLayer*(convDim(cfg)*cfg.DConv+ssmLen(cfg))
}

// AppendBinary appends the decode state (not the scratch, not the observer)
// to b: restoring it with UnmarshalBinary continues the sequence exactly.
func (s *State) AppendBinary(b []byte) ([]byte, error) {
	b = append(b, stateMagic...)
	b = binary.LittleEndian.AppendUint32(b, stateVersion)
	for _, v := range s.stateDims() {
		b = binary.LittleEndian.AppendUint32(b, v)
	}
	for i := range s.conv {
		for _, part := range [2][]float32{s.conv[i], s.ssm[i]} {
			for _, v := range part {
				b = binary.LittleEndian.AppendUint32(b, math.Float32bits(v))
			}
		}
	}
	return b, nil
}

// MarshalBinary returns the saved decode state (see AppendBinary).
func (s *State) MarshalBinary() ([]byte, error) {
	return s.AppendBinary(make([]byte, 0, s.m.StateBytes()))
}

// UnmarshalBinary restores a decode state saved from a state of a model of
// the same shape. A state of another shape, a truncated or corrupt buffer or
// a non-finite value is an error, and s is left unchanged.
func (s *State) UnmarshalBinary(b []byte) error {
	if len(b) < stateHeader || string(b[:4]) != stateMagic {
		return fmt.Errorf("model: saved state: not a quamba decode state (%d bytes, bad magic)", len(b))
	}
	if v := binary.LittleEndian.Uint32(b[4:]); v != stateVersion {
		return fmt.Errorf("model: saved state: version %d, this quamba reads %d", v, stateVersion)
	}
	want := s.stateDims()
	names := [8]string{"architecture", "n_layer", "d_model", "d_inner", "d_state", "d_conv", "conv state length", "SSM state length"}
	for j, w := range want {
		if got := binary.LittleEndian.Uint32(b[8+4*j:]); got != w {
			return fmt.Errorf("model: saved state: %s is %d, the model has %d", names[j], got, w)
		}
	}
	if len(b) != s.m.StateBytes() {
		return fmt.Errorf("model: saved state: %d bytes, want %d", len(b), s.m.StateBytes())
	}
	body := b[stateHeader:]
	for j := 0; j < len(body); j += 4 {
		if f := math.Float32frombits(binary.LittleEndian.Uint32(body[j:])); math.IsNaN(float64(f)) || math.IsInf(float64(f), 0) {
			return fmt.Errorf("model: saved state: non-finite value %v at byte %d", f, stateHeader+j)
		}
	}
	for i := range s.conv {
		for _, part := range [2][]float32{s.conv[i], s.ssm[i]} {
			for k := range part {
				part[k] = math.Float32frombits(binary.LittleEndian.Uint32(body))
				body = body[4:]
			}
		}
	}
	return nil
}
