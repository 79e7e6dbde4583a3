// Package formats reads and writes model checkpoints: safetensors (single
// file or sharded), PyTorch zip-pickle state dicts, and config.json in the
// state-spaces and Hugging Face conventions, with tensors addressed by their
// canonical state-spaces names.
package formats
