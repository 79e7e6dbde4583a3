// Package formats reads model checkpoints (safetensors, PyTorch zip-pickle,
// config.json in the state-spaces and Hugging Face conventions) and reads and
// writes quamba's own artifact format.
//
// OpenModel opens a model directory and serves its tensors by canonical
// (state-spaces) name as float32, checking shapes against the parsed Config
// and rejecting non-finite weights. OpenCheckpoint and Inspect work on a
// single file or shard index. WriteModel, WriteSafetensors, WritePyTorch and
// WriteConfig write files atomically (temporary file and rename) that the
// readers here, torch.load and transformers accept.
//
// Every reader validates its input fully: a malformed or truncated file is
// an error naming the file and, where there is one, the tensor.
package formats
