// Package formats reads model checkpoints (safetensors, PyTorch zip-pickle,
// config.json in the state-spaces and Hugging Face conventions) and reads and
// writes quamba's own artifact format.
package formats
