//! The three summaries of the `hparams` plugin: the experiment (which hyperparameters and
//! metrics exist), a session's start (its hyperparameter values) and its end.

use prost::Message;
use prost_types::value::Kind;

use super::plugin;
use crate::proto::hparams::{
    DataType, Experiment, HParamInfo, HParamsPluginData, MetricInfo, MetricName, SessionEndInfo,
    SessionStartInfo, Status, h_param_info::Domain, h_params_plugin_data::Data,
};
use crate::proto::summary;

pub const EXPERIMENT_TAG: &str = "_hparams_/experiment";
pub const SESSION_START_INFO_TAG: &str = "_hparams_/session_start_info";
pub const SESSION_END_INFO_TAG: &str = "_hparams_/session_end_info";

/// A hyperparameter's value, typed as the hparams plugin shows it.
#[derive(Debug, Clone, PartialEq)]
pub enum HParamValue {
    Str(String),
    Bool(bool),
    Number(f64),
}

/// A hyperparameter: its value (`None` for a type the plugin cannot show, listed without a
/// value as tensorboardX lists it) and the values it can take, when given.
#[derive(Debug, Clone, PartialEq)]
pub struct HParam {
    pub name: String,
    pub value: Option<HParamValue>,
    pub domain: Option<Vec<HParamValue>>,
}

impl HParamValue {
    fn data_type(&self) -> DataType {
        match self {
            HParamValue::Str(_) => DataType::String,
            HParamValue::Bool(_) => DataType::Bool,
            HParamValue::Number(_) => DataType::Float64,
        }
    }

    fn to_proto(&self) -> prost_types::Value {
        let kind = match self {
            HParamValue::Str(s) => Kind::StringValue(s.clone()),
            HParamValue::Bool(b) => Kind::BoolValue(*b),
            HParamValue::Number(x) => Kind::NumberValue(*x),
        };
        prost_types::Value { kind: Some(kind) }
    }
}

/// The experiment, session start and session end summaries, in the order both anchors write
/// them; `metrics` are the scalar tags the plugin shows as metrics.
pub fn hparams(hparams: &[HParam], metrics: &[String]) -> [summary::Value; 3] {
    let hparam_infos = hparams
        .iter()
        .map(|hp| HParamInfo {
            name: hp.name.clone(),
            r#type: hp.value.as_ref().map_or(DataType::Unset, HParamValue::data_type).into(),
            domain: hp.domain.as_ref().map(|values| {
                Domain::DomainDiscrete(prost_types::ListValue {
                    values: values.iter().map(HParamValue::to_proto).collect(),
                })
            }),
            ..Default::default()
        })
        .collect();
    let metric_infos = metrics
        .iter()
        .map(|tag| MetricInfo {
            name: Some(MetricName { tag: tag.clone(), ..Default::default() }),
            ..Default::default()
        })
        .collect();
    let experiment = Experiment { hparam_infos, metric_infos, ..Default::default() };
    let start = SessionStartInfo {
        hparams: hparams
            .iter()
            .filter_map(|hp| Some((hp.name.clone(), hp.value.as_ref()?.to_proto())))
            .collect(),
        ..Default::default()
    };
    let end = SessionEndInfo { status: Status::Success.into(), ..Default::default() };
    [
        value(EXPERIMENT_TAG, Data::Experiment(experiment)),
        value(SESSION_START_INFO_TAG, Data::SessionStartInfo(start)),
        value(SESSION_END_INFO_TAG, Data::SessionEndInfo(end)),
    ]
}

/// A value that carries only metadata: the plugin reads everything from its content.
fn value(tag: &str, data: Data) -> summary::Value {
    let content = HParamsPluginData { version: 0, data: Some(data) }.encode_to_vec();
    summary::Value { tag: tag.to_owned(), metadata: plugin("hparams", content), ..Default::default() }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn content(value: &summary::Value) -> HParamsPluginData {
        let metadata = value.metadata.as_ref().unwrap().plugin_data.as_ref().unwrap();
        assert_eq!(metadata.plugin_name, "hparams");
        HParamsPluginData::decode(&metadata.content[..]).unwrap()
    }

    #[test]
    fn values_are_typed_and_unset_ones_have_no_value() {
        let hps = [
            HParam { name: "lr".into(), value: Some(HParamValue::Number(0.1)), domain: None },
            HParam {
                name: "opt".into(),
                value: Some(HParamValue::Str("adam".into())),
                domain: Some(vec![HParamValue::Str("adam".into()), HParamValue::Str("sgd".into())]),
            },
            HParam { name: "odd".into(), value: None, domain: None },
        ];
        let [experiment, start, end] = hparams(&hps, &["acc".into()]);
        let Some(Data::Experiment(e)) = content(&experiment).data else { panic!("no experiment") };
        let types: Vec<_> = e.hparam_infos.iter().map(|h| h.r#type()).collect();
        assert_eq!(types, [DataType::Float64, DataType::String, DataType::Unset]);
        assert!(matches!(&e.hparam_infos[1].domain, Some(Domain::DomainDiscrete(l)) if l.values.len() == 2));
        assert_eq!(e.metric_infos[0].name.as_ref().unwrap().tag, "acc");
        let Some(Data::SessionStartInfo(s)) = content(&start).data else { panic!("no start") };
        assert_eq!(s.hparams.len(), 2);
        assert_eq!(s.hparams["lr"].kind, Some(Kind::NumberValue(0.1)));
        let Some(Data::SessionEndInfo(e)) = content(&end).data else { panic!("no end") };
        assert_eq!(e.status(), Status::Success);
        assert!(start.value.is_none(), "hparams summaries carry only metadata");
    }
}
