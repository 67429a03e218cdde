//! The layout of the custom scalars dashboard.

use prost::Message;

use super::{make_value, plugin};
use crate::proto::{
    Chart, DataType, Layout, MarginChartContent, MultilineChartContent, TensorProto, chart,
    margin_chart_content, summary,
};

/// The tag TensorBoard reads the layout from.
pub const CUSTOM_SCALARS_TAG: &str = "custom_scalars__config__";

/// A chart of several scalar tags (or regular expressions over tags) in one plot.
pub fn multiline_chart(title: String, tags: Vec<String>) -> Chart {
    Chart { title, content: Some(chart::Content::Multiline(MultilineChartContent { tag: tags })) }
}

/// A chart of one scalar tag drawn with a band between two others.
pub fn margin_chart(title: String, [value, lower, upper]: [String; 3]) -> Chart {
    let series = margin_chart_content::Series { value, lower, upper };
    Chart { title, content: Some(chart::Content::Margin(MarginChartContent { series: vec![series] })) }
}

/// The layout as a rank-0 string tensor holding the serialized `Layout`, as both anchors write
/// it.
pub fn custom_scalars(layout: &Layout) -> summary::Value {
    let tensor = TensorProto {
        dtype: DataType::DtString.into(),
        tensor_shape: super::shape(&[]),
        string_val: vec![layout.encode_to_vec()],
        ..Default::default()
    };
    make_value(
        CUSTOM_SCALARS_TAG,
        summary::value::Value::Tensor(tensor),
        plugin("custom_scalars", Vec::new()),
    )
}
