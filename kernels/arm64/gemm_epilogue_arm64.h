// Shared output stage of the W8A8 kernels (both tiers, GEMV and GEMM).
//
// A kernel that includes this file defines, before expanding the macros:
//
//	EP_MODE   GP register: output kind (EP_I32, EP_F32, EP_F16 or EP_I8)
//	EP_SCALE  GP register: pointer to the scale of the current panel
//	EP_SSTEP  GP register: 0 for one per-tensor scale, 64 for 16 per-row scales
//	EP_BIAS   GP register: pointer to the bias of the current panel, or 0
//	EP_Y      GP register: where the 16 outputs of the current token go
//
// Vector register use: V0-V3 scale, V4-V7 bias (loaded by W8_LOAD_EPILOGUE
// once per panel), V8-V15 scratch, V16-V19 the int32 accumulators of one
// token (rows 0-3, 4-7, 8-11, 12-15 of the panel). V20-V31 are not touched.
//
// Each macro may be expanded once per TEXT block (its labels are fixed).
// The float steps are exactly those of the pure-Go epilogue: SCVTF (round to
// nearest even, like Go's float32(int32)), one FMUL, then one FADD for a
// bias; no fused multiply-add. The half-precision result comes from FCVTN
// (round to nearest even); the int8 result from FCVTNS (round half to even),
// then two saturating narrows SQXTN. A NaN becomes 127, like the Go code.

#define EP_I32 0
#define EP_F32 1
#define EP_F16 2
#define EP_I8 3

// W8_LOAD_EPILOGUE loads the scales of the current panel into V0-V3 and,
// with a bias, the biases into V4-V7, then advances EP_SCALE and EP_BIAS to
// the next panel.
#define W8_LOAD_EPILOGUE \
	CMP	$EP_I32, EP_MODE; \
	BEQ	ep_loaded; \
	CBNZ	EP_SSTEP, ep_rowscale; \
	VLD1R	(EP_SCALE), [V0.S4]; \
	VMOV	V0.B16, V1.B16; \
	VMOV	V0.B16, V2.B16; \
	VMOV	V0.B16, V3.B16; \
	B	ep_scaled; \
ep_rowscale: \
	VLD1	(EP_SCALE), [V0.S4, V1.S4, V2.S4, V3.S4]; \
	ADD	EP_SSTEP, EP_SCALE; \
ep_scaled: \
	CBZ	EP_BIAS, ep_loaded; \
	VLD1.P	64(EP_BIAS), [V4.S4, V5.S4, V6.S4, V7.S4]; \
ep_loaded:

// W8_STORE_TOKEN converts the accumulators V16-V19 of one token and stores
// the 16 results at EP_Y. It clobbers V8-V19.
#define W8_STORE_TOKEN \
	CMP	$EP_I32, EP_MODE; \
	BNE	ep_float; \
	VST1	[V16.S4, V17.S4, V18.S4, V19.S4], (EP_Y); \
	B	ep_stored; \
ep_float: \
	WORD	$0x4E21DA10 /* scvtf v16.4s, v16.4s */; \
	WORD	$0x4E21DA31 /* scvtf v17.4s, v17.4s */; \
	WORD	$0x4E21DA52 /* scvtf v18.4s, v18.4s */; \
	WORD	$0x4E21DA73 /* scvtf v19.4s, v19.4s */; \
	WORD	$0x6E20DE10 /* fmul v16.4s, v16.4s, v0.4s */; \
	WORD	$0x6E21DE31 /* fmul v17.4s, v17.4s, v1.4s */; \
	WORD	$0x6E22DE52 /* fmul v18.4s, v18.4s, v2.4s */; \
	WORD	$0x6E23DE73 /* fmul v19.4s, v19.4s, v3.4s */; \
	CMP	$EP_I8, EP_MODE; \
	BEQ	ep_int8; \
	CBZ	EP_BIAS, ep_nobias; \
	WORD	$0x4E24D610 /* fadd v16.4s, v16.4s, v4.4s */; \
	WORD	$0x4E25D631 /* fadd v17.4s, v17.4s, v5.4s */; \
	WORD	$0x4E26D652 /* fadd v18.4s, v18.4s, v6.4s */; \
	WORD	$0x4E27D673 /* fadd v19.4s, v19.4s, v7.4s */; \
ep_nobias: \
	CMP	$EP_F16, EP_MODE; \
	BEQ	ep_half; \
	VST1	[V16.S4, V17.S4, V18.S4, V19.S4], (EP_Y); \
	B	ep_stored; \
ep_half: \
	WORD	$0x0E216A08 /* fcvtn v8.4h, v16.4s */; \
	WORD	$0x4E216A28 /* fcvtn2 v8.8h, v17.4s */; \
	WORD	$0x0E216A49 /* fcvtn v9.4h, v18.4s */; \
	WORD	$0x4E216A69 /* fcvtn2 v9.8h, v19.4s */; \
	VST1	[V8.H8, V9.H8], (EP_Y); \
	B	ep_stored; \
ep_int8: \
	WORD	$0x4E30E608 /* fcmeq v8.4s, v16.4s, v16.4s */; \
	WORD	$0x4E31E629 /* fcmeq v9.4s, v17.4s, v17.4s */; \
	WORD	$0x4E32E64A /* fcmeq v10.4s, v18.4s, v18.4s */; \
	WORD	$0x4E33E66B /* fcmeq v11.4s, v19.4s, v19.4s */; \
	WORD	$0x4E21AA10 /* fcvtns v16.4s, v16.4s */; \
	WORD	$0x4E21AA31 /* fcvtns v17.4s, v17.4s */; \
	WORD	$0x4E21AA52 /* fcvtns v18.4s, v18.4s */; \
	WORD	$0x4E21AA73 /* fcvtns v19.4s, v19.4s */; \
	VMOVQ	$0x0000007f0000007f, $0x0000007f0000007f, V12; \
	VBSL	V12.B16, V16.B16, V8.B16; \
	VBSL	V12.B16, V17.B16, V9.B16; \
	VBSL	V12.B16, V18.B16, V10.B16; \
	VBSL	V12.B16, V19.B16, V11.B16; \
	WORD	$0x0E614908 /* sqxtn v8.4h, v8.4s */; \
	WORD	$0x4E614928 /* sqxtn2 v8.8h, v9.4s */; \
	WORD	$0x0E614949 /* sqxtn v9.4h, v10.4s */; \
	WORD	$0x4E614969 /* sqxtn2 v9.8h, v11.4s */; \
	WORD	$0x0E21490A /* sqxtn v10.8b, v8.8h */; \
	WORD	$0x4E21492A /* sqxtn2 v10.16b, v9.8h */; \
	VST1	[V10.B16], (EP_Y); \
ep_stored:
