// Package formats reads and writes model checkpoints: safetensors (single
// file or sharded), PyTorch zip-pickle state dicts, and config.json in the
// state-spaces and Hugging Face conventions, with tensors addressed by their
// canonical state-spaces names (one schema: Config.Schema); and the GGUF v3
// container (WriteGGUF, OpenGGUF, ParseGGUF: 64-byte aligned tensor data
// read without copying, an xxhash64 checksum of the data section) that
// quamba's quantized artifacts are stored in.
package formats
