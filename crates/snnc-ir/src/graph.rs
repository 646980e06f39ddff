use std::collections::{BTreeMap, HashMap};

use crate::{infer_types, IrError, Op, Tensor, TensorType};

/// Index of a value in its [`Graph`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ValueId(pub usize);

/// A named, typed SSA value: a graph input, an initializer, or a node output.
#[derive(Debug, Clone, PartialEq)]
pub struct Value {
    /// Unique name (the ONNX value name for imported graphs).
    pub name: String,
    /// Static type.
    pub ty: TensorType,
}

/// One operation applied to values.
#[derive(Debug, Clone, PartialEq)]
pub struct Node {
    /// Unique node name, used in every message about the node.
    pub name: String,
    /// The operation.
    pub op: Op,
    /// Inputs in op order; `None` is an omitted optional input.
    pub inputs: Vec<Option<ValueId>>,
    /// Outputs in op order; `None` is an optional output nobody binds.
    pub outputs: Vec<Option<ValueId>>,
}

impl Node {
    /// Input `i`, if present.
    pub fn input(&self, i: usize) -> Option<ValueId> {
        self.inputs.get(i).copied().flatten()
    }

    /// Output `i`, if bound.
    pub fn output(&self, i: usize) -> Option<ValueId> {
        self.outputs.get(i).copied().flatten()
    }
}

/// A computation graph in topological order.
///
/// Built only through its methods, which keep the invariants the [`verify`](crate::verify) pass
/// checks: names are unique, every node input is defined before the node, and each value's type
/// is what inference gives.
#[derive(Debug, Clone, Default)]
pub struct Graph {
    name: String,
    values: Vec<Value>,
    inputs: Vec<ValueId>,
    outputs: Vec<ValueId>,
    initializers: BTreeMap<ValueId, Tensor>,
    nodes: Vec<Node>,
    value_names: HashMap<String, ValueId>,
    node_names: HashMap<String, usize>,
}

impl Graph {
    /// An empty graph called `name`.
    pub fn new(name: impl Into<String>) -> Self {
        Graph { name: name.into(), ..Default::default() }
    }

    /// The graph's name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// All values, indexed by [`ValueId`].
    pub fn values(&self) -> &[Value] {
        &self.values
    }

    /// The value `id`. Panics on an id from another graph.
    pub fn value(&self, id: ValueId) -> &Value {
        &self.values[id.0]
    }

    /// The type of value `id`.
    pub fn ty(&self, id: ValueId) -> &TensorType {
        &self.values[id.0].ty
    }

    /// The value called `name`.
    pub fn find(&self, name: &str) -> Option<ValueId> {
        self.value_names.get(name).copied()
    }

    /// The node called `name`.
    pub fn find_node(&self, name: &str) -> Option<&Node> {
        self.node_names.get(name).map(|&i| &self.nodes[i])
    }

    /// Graph inputs (runtime-fed values), in declaration order.
    pub fn inputs(&self) -> &[ValueId] {
        &self.inputs
    }

    /// Graph outputs, in declaration order.
    pub fn outputs(&self) -> &[ValueId] {
        &self.outputs
    }

    /// Constant values (weights and parameters), by value.
    pub fn initializers(&self) -> &BTreeMap<ValueId, Tensor> {
        &self.initializers
    }

    /// The initializer bound to `id`, if any.
    pub fn initializer(&self, id: ValueId) -> Option<&Tensor> {
        self.initializers.get(&id)
    }

    /// Replaces the value of initializer `id` (e.g. after a weight update) and returns the old
    /// one. Fails when `id` is not an initializer or `value`'s type differs from the declared
    /// one.
    pub fn set_initializer(&mut self, id: ValueId, value: Tensor) -> Result<Tensor, IrError> {
        let name = self.values.get(id.0).map(|v| v.name.clone()).unwrap_or_default();
        let Some(slot) = self.initializers.get_mut(&id) else {
            return Err(IrError::Graph(format!("value '{name}' is not an initializer")));
        };
        let (old, new) = (slot.tensor_type(), value.tensor_type());
        if old != new {
            return Err(IrError::Graph(format!(
                "initializer '{name}' is {old}; a {new} value cannot replace it"
            )));
        }
        Ok(std::mem::replace(slot, value))
    }

    /// Nodes in topological order.
    pub fn nodes(&self) -> &[Node] {
        &self.nodes
    }

    fn new_value(&mut self, name: &str, ty: TensorType) -> Result<ValueId, IrError> {
        if name.is_empty() {
            return Err(IrError::Graph("a value has an empty name".into()));
        }
        if self.value_names.contains_key(name) {
            return Err(IrError::Graph(format!("value '{name}' is defined more than once")));
        }
        if ty.checked_len().is_none() {
            return Err(IrError::Graph(format!(
                "value '{name}' declares {ty}, which exceeds the limit of {} elements",
                crate::MAX_ELEMENTS
            )));
        }
        let id = ValueId(self.values.len());
        self.values.push(Value { name: name.to_string(), ty });
        self.value_names.insert(name.to_string(), id);
        Ok(id)
    }

    /// Declares a graph input of type `ty`.
    pub fn add_input(&mut self, name: &str, ty: TensorType) -> Result<ValueId, IrError> {
        let id = self.new_value(name, ty)?;
        self.inputs.push(id);
        Ok(id)
    }

    /// Declares a constant value (a weight) called `name`.
    pub fn add_initializer(&mut self, name: &str, value: Tensor) -> Result<ValueId, IrError> {
        let id = self.new_value(name, value.tensor_type())?;
        self.initializers.insert(id, value);
        Ok(id)
    }

    /// Appends a node named `name` (a fresh name is made when empty) applying `op` to `inputs`,
    /// whose outputs are named by `outputs` (`None` leaves an optional output unbound).
    ///
    /// Fails, naming the node, when an input is undefined, an arity or type is wrong, or an
    /// output name is taken. Returns the new output values.
    pub fn add_node(
        &mut self,
        name: &str,
        op: Op,
        inputs: Vec<Option<ValueId>>,
        outputs: &[Option<&str>],
    ) -> Result<Vec<Option<ValueId>>, IrError> {
        let name = if name.is_empty() {
            format!("{}_{}", op.name(), self.nodes.len())
        } else {
            name.to_string()
        };
        let err = |msg: String| IrError::node(&name, op.name(), msg);
        if self.node_names.contains_key(&name) {
            return Err(err("a node with this name already exists".into()));
        }
        let (lo, hi) = op.input_arity();
        if inputs.len() < lo || inputs.len() > hi {
            let want = if lo == hi { lo.to_string() } else { format!("{lo}..{hi}") };
            return Err(err(format!("takes {want} inputs, got {}", inputs.len())));
        }
        if outputs.len() > op.output_count() {
            return Err(err(format!(
                "has {} outputs, {} were named",
                op.output_count(),
                outputs.len()
            )));
        }
        let mut types = Vec::with_capacity(inputs.len());
        for i in &inputs {
            match i {
                Some(id) if id.0 < self.values.len() => types.push(Some(&self.values[id.0].ty)),
                Some(id) => return Err(err(format!("input refers to unknown value #{}", id.0))),
                None => types.push(None),
            }
        }
        let out_types = infer_types(&op, &types).map_err(err)?;
        let mut out_ids = Vec::with_capacity(outputs.len());
        for (o, ty) in outputs.iter().zip(out_types) {
            out_ids.push(match o {
                Some(n) => Some(self.new_value(n, ty).map_err(|e| err(e.to_string()))?),
                None => None,
            });
        }
        self.node_names.insert(name.clone(), self.nodes.len());
        self.nodes.push(Node { name, op, inputs, outputs: out_ids.clone() });
        Ok(out_ids)
    }

    /// Marks `id` as a graph output (in call order).
    pub fn add_output(&mut self, id: ValueId) -> Result<(), IrError> {
        if id.0 >= self.values.len() {
            return Err(IrError::Graph(format!("output refers to unknown value #{}", id.0)));
        }
        if self.outputs.contains(&id) {
            let name = &self.values[id.0].name;
            return Err(IrError::Graph(format!("'{name}' is listed as an output twice")));
        }
        self.outputs.push(id);
        Ok(())
    }

    /// For each value, the index of the node that produces it (`None` for inputs/initializers).
    pub fn producers(&self) -> Vec<Option<usize>> {
        let mut p = vec![None; self.values.len()];
        for (i, n) in self.nodes.iter().enumerate() {
            for o in n.outputs.iter().flatten() {
                p[o.0] = Some(i);
            }
        }
        p
    }

    /// Number of nodes of each op name.
    pub fn op_histogram(&self) -> BTreeMap<String, usize> {
        let mut h = BTreeMap::new();
        for n in &self.nodes {
            *h.entry(n.op.name().to_string()).or_insert(0) += 1;
        }
        h
    }
}
