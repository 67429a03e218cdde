//! Whole tensors for torch's `add_tensor`, in the typed fields TensorFlow's `TensorProto`
//! defines for each dtype (which TensorBoard's `make_ndarray` reads back).

use half::{bf16, f16};

use super::{make_value, plugin};
use crate::error::{Error, Result};
use crate::proto::{DataType, TensorProto, summary};

/// torch refuses tensors of 2 GiB or more: protobuf cannot encode a message that large.
const MAX_BYTES: usize = 1 << 31;

/// An element type `add_tensor` stores, and the `TensorProto` field it goes to.
pub trait TensorElement: Copy {
    const DTYPE: DataType;

    fn store(values: &[Self], tensor: &mut TensorProto);
}

macro_rules! tensor_element {
    ($($t:ty => $dtype:ident, $field:ident, |$v:ident| $convert:expr;)*) => {$(
        impl TensorElement for $t {
            const DTYPE: DataType = DataType::$dtype;

            fn store(values: &[Self], tensor: &mut TensorProto) {
                tensor.$field = values.iter().map(|&$v| $convert).collect();
            }
        }
    )*};
}

tensor_element! {
    // Half floats as their 16-bit patterns (torch writes float32 patterns, which TensorBoard
    // cannot read back).
    f16 => DtHalf, half_val, |v| i32::from(v.to_bits());
    bf16 => DtBfloat16, half_val, |v| i32::from(v.to_bits());
    f32 => DtFloat, float_val, |v| v;
    f64 => DtDouble, double_val, |v| v;
    i8 => DtInt8, int_val, |v| i32::from(v);
    i16 => DtInt16, int_val, |v| i32::from(v);
    i32 => DtInt32, int_val, |v| v;
    i64 => DtInt64, int64_val, |v| v;
    // uint8 in int_val, where TensorFlow and TensorBoard read it (torch writes uint32_val).
    u8 => DtUint8, int_val, |v| i32::from(v);
    u16 => DtUint16, int_val, |v| i32::from(v);
    u32 => DtUint32, uint32_val, |v| v;
    u64 => DtUint64, uint64_val, |v| v;
    bool => DtBool, bool_val, |v| v;
}

/// A complex tensor's elements as interleaved (real, imaginary) pairs.
#[derive(Debug, Clone, Copy)]
pub enum Complex<'a> {
    C64(&'a [f32]),
    C128(&'a [f64]),
}

/// `values` (row-major, `shape`) as a tensor of the `tensor` plugin.
pub fn tensor<T: TensorElement>(tag: &str, values: &[T], shape: &[usize]) -> Result<summary::Value> {
    check_size(size_of_val(values))?;
    let mut tensor =
        TensorProto { dtype: T::DTYPE.into(), tensor_shape: super::shape(shape), ..Default::default() };
    T::store(values, &mut tensor);
    Ok(value(tag, tensor))
}

/// A complex tensor of `shape` (the pairs are not a dimension of it).
pub fn complex_tensor(tag: &str, values: Complex<'_>, shape: &[usize]) -> Result<summary::Value> {
    let mut tensor = TensorProto { tensor_shape: super::shape(shape), ..Default::default() };
    match values {
        Complex::C64(pairs) => {
            check_size(size_of_val(pairs))?;
            tensor.dtype = DataType::DtComplex64.into();
            tensor.scomplex_val = pairs.to_vec();
        }
        Complex::C128(pairs) => {
            check_size(size_of_val(pairs))?;
            tensor.dtype = DataType::DtComplex128.into();
            tensor.dcomplex_val = pairs.to_vec();
        }
    }
    Ok(value(tag, tensor))
}

fn check_size(bytes: usize) -> Result<()> {
    if bytes >= MAX_BYTES {
        return Err(Error::invalid(
            "tensor",
            format!("{bytes} bytes is over protobuf's limit of 2 GiB for a message"),
        ));
    }
    Ok(())
}

fn value(tag: &str, tensor: TensorProto) -> summary::Value {
    make_value(tag, summary::value::Value::Tensor(tensor), plugin("tensor", Vec::new()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tensor_of(value: summary::Value) -> TensorProto {
        match value.value {
            Some(summary::value::Value::Tensor(t)) => t,
            other => panic!("not a tensor: {other:?}"),
        }
    }

    #[test]
    fn halves_are_stored_as_their_bit_patterns() {
        let t = tensor_of(tensor("x", &[f16::from_f32(1.0), f16::from_f32(-0.5)], &[2]).unwrap());
        assert_eq!(t.dtype, DataType::DtHalf as i32);
        assert_eq!(t.half_val, [0x3c00, 0xb800]);
        let t = tensor_of(tensor("x", &[bf16::from_f32(1.0)], &[]).unwrap());
        assert_eq!((t.dtype, t.half_val), (DataType::DtBfloat16 as i32, vec![0x3f80]));
        assert_eq!(t.tensor_shape.unwrap().dim.len(), 0);
    }

    #[test]
    fn each_dtype_goes_to_its_field() {
        let t = tensor_of(tensor("x", &[1u8, 255], &[1, 2]).unwrap());
        assert_eq!((t.dtype, t.int_val), (DataType::DtUint8 as i32, vec![1, 255]));
        let t = tensor_of(tensor("x", &[-1i64], &[1]).unwrap());
        assert_eq!(t.int64_val, [-1]);
        let t = tensor_of(complex_tensor("x", Complex::C128(&[1.0, 2.0]), &[1]).unwrap());
        assert_eq!((t.dtype, t.dcomplex_val), (DataType::DtComplex128 as i32, vec![1.0, 2.0]));
    }

    #[test]
    fn two_gibibytes_are_refused_as_torch_refuses_them() {
        assert!(check_size(MAX_BYTES - 1).is_ok());
        assert!(matches!(check_size(MAX_BYTES), Err(Error::InvalidArgument { arg: "tensor", .. })));
    }
}
