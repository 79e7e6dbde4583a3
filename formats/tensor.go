package formats

// DType is the element type of a stored tensor, named as in safetensors.
type DType string

const (
	F32  DType = "F32"
	F16  DType = "F16"
	BF16 DType = "BF16"
	F64  DType = "F64"
	I8   DType = "I8"
	U8   DType = "U8"
	I32  DType = "I32"
	I64  DType = "I64"
)

// TensorInfo describes one stored tensor.
type TensorInfo struct {
	Name  string
	DType DType
	Shape []int
}

// Checkpoint is a read-only set of named tensors from one checkpoint
// (a file, or the shards of one model). Implementations must be safe for
// concurrent reads.
type Checkpoint interface {
	// Path is the file or directory the tensors come from, used in errors.
	Path() string
	// Names lists the stored tensor names in sorted order.
	Names() []string
	// Info describes a tensor; ok is false when it is absent.
	Info(name string) (info TensorInfo, ok bool)
	// Float32 returns the tensor converted to float32, row-major and
	// contiguous, with its shape. The slice is owned by the caller.
	Float32(name string) (data []float32, shape []int, err error)
	Close() error
}
