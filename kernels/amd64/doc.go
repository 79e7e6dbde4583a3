// Package amd64 holds quamba's x86-64 kernels in Go assembly (AVX2 with FMA).
// Callers reach them through package kernels, which checks CPU support
// first; nothing here checks features itself.
package amd64
