//! The Kubernetes events `aks-auto-repair` emits on the Node object
//! (POLICY.md section 1): a Start event when an action starts, an End event
//! when it finishes, or an Error event instead of the End when it fails
//! (with `emit_end_on_error`, End and then Error, as the service was seen
//! to do in POLICY.md section 8).
//!
//! Each [`Event`] serializes as a core/v1 Event, field for field in the
//! order `kubectl get events -o json` shows them. Reasons, types and
//! messages come from [`crate::k8s`], word for word.
//!
//! Invariant: names are deterministic. Kubernetes names an event
//! `<object>.<hex of the creation time in Unix nanoseconds>`; here the
//! nanoseconds are the wall-clock millisecond (scenario start plus simulated
//! time) times 10^6 plus the event's sequence number within that
//! millisecond, so names are unique and reproducible.

use super::{Observer, Record};
use crate::fleet::NodeId;
use crate::k8s::{self, ActionKind, EventPhase};
use crate::policy::EventWording;
use crate::policy::providers::{OpsLog, Reporting};
use crate::report::EventWriter;
use crate::scenario::Scenario;
use crate::time::{Epoch, SimTime};
use serde::Serialize;
use std::borrow::Cow;

#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ObjectMeta {
    pub name: String,
    pub namespace: &'static str,
    pub creation_timestamp: String,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ObjectReference {
    pub api_version: &'static str,
    pub kind: &'static str,
    pub name: String,
}

/// An event's message: a string, or the arguments of one not formatted
/// yet, which a streaming log writes into its scratch event without
/// allocating (`format_args!` at the call).
pub(super) enum Text<'a> {
    Str(Cow<'a, str>),
    Args(std::fmt::Arguments<'a>),
}

impl Text<'_> {
    /// Appends the text to `out`.
    fn write_to(&self, out: &mut String) {
        use std::fmt::Write as _;
        match self {
            Text::Str(s) => out.push_str(s),
            Text::Args(a) => {
                let _ = out.write_fmt(*a);
            }
        }
    }
}

impl<'a> From<&'a str> for Text<'a> {
    fn from(s: &'a str) -> Text<'a> {
        Text::Str(Cow::Borrowed(s))
    }
}

impl From<String> for Text<'_> {
    fn from(s: String) -> Self {
        Text::Str(Cow::Owned(s))
    }
}

impl<'a> From<std::fmt::Arguments<'a>> for Text<'a> {
    fn from(a: std::fmt::Arguments<'a>) -> Text<'a> {
        Text::Args(a)
    }
}

/// An [`ObjectReference`] whose name may be borrowed.
pub(super) struct ObjectRef<'a> {
    pub api_version: &'static str,
    pub kind: &'static str,
    pub name: Cow<'a, str>,
}

impl<'a> ObjectRef<'a> {
    /// A core/v1 Node.
    pub fn node(name: impl Into<Cow<'a, str>>) -> ObjectRef<'a> {
        ObjectRef {
            api_version: "v1",
            kind: "Node",
            name: name.into(),
        }
    }
}

impl ObjectReference {
    /// A core/v1 Node.
    pub fn node(name: String) -> ObjectReference {
        ObjectReference {
            api_version: "v1",
            kind: "Node",
            name,
        }
    }
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct EventSource {
    pub component: &'static str,
}

/// One core/v1 Event. The fields after `event_time` are not serialized.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Event {
    pub api_version: &'static str,
    pub kind: &'static str,
    pub metadata: ObjectMeta,
    pub involved_object: ObjectReference,
    pub reason: String,
    pub message: String,
    #[serde(rename = "type")]
    pub type_: &'static str,
    pub source: EventSource,
    pub reporting_component: &'static str,
    pub reporting_instance: &'static str,
    pub first_timestamp: String,
    pub last_timestamp: String,
    pub count: u32,
    /// AKS: `Reboot`, `Reimage` or `Redeploy`; absent on the peers' events.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub action: Option<&'static str>,
    /// Always null: these are legacy (core/v1) events, timed by
    /// `firstTimestamp`/`lastTimestamp`.
    pub event_time: Option<String>,
    /// Simulated time of the event \[ms\].
    #[serde(skip)]
    pub sim_ms: u64,
    #[serde(skip)]
    pub node: NodeId,
    /// The node the event concerns (events.csv's `node`): the involved
    /// Node, a Machine's or a remediation's node, or empty for an event
    /// about a whole health check.
    #[serde(skip)]
    pub node_label: String,
    /// The AKS action kind of an `aks-auto-repair` event.
    #[serde(skip)]
    pub action_kind: Option<ActionKind>,
    /// Where the event stands in a remediation (the timeline's markers):
    /// its start, its end, or a failure.
    #[serde(skip)]
    pub phase: Option<EventPhase>,
}

impl Event {
    /// An event with empty strings, to be filled in.
    fn blank() -> Event {
        Event {
            api_version: "v1",
            kind: "Event",
            metadata: ObjectMeta {
                name: String::new(),
                namespace: "default",
                creation_timestamp: String::new(),
            },
            involved_object: ObjectReference::node(String::new()),
            reason: String::new(),
            message: String::new(),
            type_: "Normal",
            source: EventSource { component: "" },
            reporting_component: "",
            reporting_instance: "",
            first_timestamp: String::new(),
            last_timestamp: String::new(),
            count: 1,
            action: None,
            event_time: None,
            sim_ms: 0,
            node: 0,
            node_label: String::new(),
            action_kind: None,
            phase: None,
        }
    }

    /// The event as one line of JSON (no trailing newline).
    pub fn to_json(&self) -> String {
        serde_json::to_string(self).expect("an Event always serializes")
    }

    /// The name of the node the event concerns; empty for an event about
    /// a whole health check.
    pub fn node_name(&self) -> &str {
        &self.node_label
    }

    /// RFC 3339 wall-clock time of the event.
    pub fn timestamp(&self) -> &str {
        &self.first_timestamp
    }
}

/// Collects the events (or operations-log records) of a run, in emission
/// order. Call [`Observer::begin`] first: it reads node names, the start
/// epoch and how the policy's provider reports.
#[derive(Debug)]
pub struct EventLog {
    sink: EventSink,
    reporter: Reporter,
    /// With `run --events all`: the kubelet's and the node controller's
    /// Node events too.
    node_events: Option<NodeEvents>,
}

/// The Node events of the kubelet and the node lifecycle controller, as a
/// cluster records them (`run --events all`): `RegisteredNode` for every
/// node at the start, `NodeNotReady` when a node leaves Ready (from the
/// kubelet when it posts Ready=False, from the node controller when it
/// sets Unknown for a silent node or one that an action took down), and
/// `NodeReady` from the kubelet when it is Ready again.
#[derive(Debug, Default)]
struct NodeEvents {
    /// Each node's timeline state so far.
    state: Vec<crate::fleet::NodeState>,
}

/// `kubelet`, as the kubelet signs its events.
pub const KUBELET: &str = "kubelet";
/// `node-controller`, as the node lifecycle controller signs its events.
pub const NODE_CONTROLLER: &str = "node-controller";

/// Where events go: named and timed as the module doc says.
#[derive(Debug)]
pub struct EventSink {
    start: Epoch,
    node_names: Vec<String>,
    /// Every event, unless they are streamed to `files`.
    events: Vec<Event>,
    /// Where a streaming log writes its events instead of keeping them.
    files: Option<Box<EventFiles>>,
    /// The first write error of a streaming log: the engine cannot fail,
    /// so writing stops and [`EventLog::finish_files`] returns it.
    error: Option<std::io::Error>,
    /// The streamed events' places in remediations (the timeline chart's
    /// markers): 16 bytes each instead of an [`Event`].
    markers: Vec<Marker>,
    /// Events emitted so far.
    count: u64,
    /// The event a streaming log builds each event in.
    scratch: Event,
    /// Strings given back by streamed events, for the next ones.
    spare: Vec<String>,
    /// Simulated ms of the last event, and how many events it had.
    last_ms: u64,
    seq_in_ms: u64,
}

/// How the run's provider reports its repairs.
#[derive(Debug)]
enum Reporter {
    /// `aks-auto-repair` events on the Node.
    Aks {
        wording: EventWording,
        /// A failed action emits End, then Error (POLICY.md section 8).
        end_on_error: bool,
    },
    /// A cloud operations log (`operations.csv`).
    Ops(OpsState),
    /// The peers' event vocabularies (PEERS.md sections 2 to 4).
    Peers(Box<crate::observe::peer_events::PeerEvents>),
}

impl Default for EventLog {
    fn default() -> Self {
        EventLog::new()
    }
}

impl EventLog {
    pub fn new() -> EventLog {
        EventLog {
            sink: EventSink {
                start: Epoch(0),
                node_names: Vec::new(),
                events: Vec::new(),
                files: None,
                error: None,
                markers: Vec::new(),
                count: 0,
                scratch: Event::blank(),
                spare: Vec::new(),
                last_ms: 0,
                seq_in_ms: 0,
            },
            reporter: Reporter::Aks {
                wording: EventWording::Docs,
                end_on_error: false,
            },
            node_events: None,
        }
    }

    /// The log with the kubelet's and the node controller's Node events
    /// too ([`NodeEvents`]).
    pub fn with_node_events() -> EventLog {
        EventLog {
            node_events: Some(NodeEvents::default()),
            ..EventLog::new()
        }
    }

    /// A log that writes each event to `jsonl` (`events.jsonl`) and `csv`
    /// (`events.csv`, header first) as it is emitted and keeps only its
    /// [`Marker`]: memory does not grow with the events. `node_events`: as
    /// [`EventLog::with_node_events`]. Call [`EventLog::finish_files`] after
    /// the run.
    pub fn streaming(
        jsonl: std::fs::File,
        csv: std::fs::File,
        node_events: bool,
    ) -> std::io::Result<EventLog> {
        let mut log = if node_events {
            EventLog::with_node_events()
        } else {
            EventLog::new()
        };
        let buffered = |f| std::io::BufWriter::with_capacity(1 << 16, f);
        log.sink.files = Some(Box::new(EventWriter::new(buffered(jsonl), buffered(csv))?));
        Ok(log)
    }

    /// Flushes the files of a streaming log, and returns the first write
    /// error of the run, if any (the run goes on after one; its outputs
    /// are then discarded).
    pub fn finish_files(&mut self) -> std::io::Result<()> {
        if let Some(e) = self.sink.error.take() {
            return Err(e);
        }
        match self.sink.files.as_mut() {
            Some(f) => f.flush(),
            None => Ok(()),
        }
    }

    /// The events kept; empty for a streaming log.
    pub fn events(&self) -> &[Event] {
        &self.sink.events
    }

    /// How many events the run emitted, kept or streamed.
    pub fn count(&self) -> u64 {
        self.sink.count
    }

    /// Every kept event's place in a remediation, in emission order: the
    /// timeline chart's markers. (A streaming log hands its markers off
    /// instead: [`EventLog::take_markers`].)
    pub fn markers(&self) -> impl Iterator<Item = Marker> + '_ {
        self.sink.events.iter().filter_map(Marker::of)
    }

    /// The markers of a streaming log not taken yet, in emission order,
    /// each once: take them as the run goes to keep memory flat.
    pub fn take_markers(&mut self) -> std::vec::Drain<'_, Marker> {
        self.sink.markers.drain(..)
    }

    /// The operations-log records not taken yet, in time order, each once.
    pub fn take_operations(&mut self) -> impl Iterator<Item = Operation> + '_ {
        let ops = match &mut self.reporter {
            Reporter::Ops(o) => Some(&mut o.operations),
            _ => None,
        };
        ops.into_iter().flat_map(|v| v.drain(..))
    }

    /// The operations-log records, in time order (empty for a provider
    /// that reports through Kubernetes events).
    pub fn operations(&self) -> &[Operation] {
        match &self.reporter {
            Reporter::Ops(o) => &o.operations,
            _ => &[],
        }
    }

    /// The events still visible to `kubectl get events` at `now`: those
    /// created within the last `ttl` (kube-apiserver `--event-ttl`).
    pub fn visible_at(
        &self,
        now: SimTime,
        ttl: crate::time::SimDuration,
    ) -> impl Iterator<Item = &Event> {
        self.sink
            .events
            .iter()
            .filter(move |e| e.sim_ms <= now.ms() && now.ms() - e.sim_ms <= ttl.ms())
    }
}

impl EventSink {
    /// A Node event of the kubelet or the node controller, worded as
    /// Kubernetes words it.
    fn node_event(&mut self, at: SimTime, node: NodeId, reason: &str, component: &'static str) {
        // Strings of the last streamed event, refilled: no allocation.
        let mut name = self.spare();
        name.push_str(self.node_name(node));
        let mut label = self.spare();
        label.push_str(&name);
        let mut message = self.spare();
        for part in if reason == "RegisteredNode" {
            [
                "Node ",
                &name,
                " event: Registered Node ",
                &name,
                " in Controller",
            ]
        } else {
            ["Node ", &name, " status is now: ", reason, ""]
        } {
            message.push_str(part);
        }
        let mut why = self.spare();
        why.push_str(reason);
        let e = Emitted {
            object: ObjectRef::node(name),
            node_label: label.into(),
            reason: why.into(),
            type_: "Normal",
            message: message.into(),
            message_prefix: "",
            component,
            action: None,
            action_kind: None,
            phase: None,
        };
        self.emit(at, node, e);
    }

    /// An `aks-auto-repair` event on the node.
    fn aks(
        &mut self,
        at: SimTime,
        node: NodeId,
        (kind, phase): (ActionKind, EventPhase),
        error: Option<&'static str>,
        wording: EventWording,
    ) {
        // Strings of the last streamed event, refilled: no allocation.
        let mut node_name = self.spare();
        node_name.push_str(self.node_name(node));
        let mut node_label = self.spare();
        node_label.push_str(&node_name);
        let mut reason = self.spare();
        k8s::write_reason(&mut reason, kind, phase);
        let mut message = self.spare();
        k8s::write_message(&mut message, kind, phase, error, wording);
        self.emit(
            at,
            node,
            Emitted {
                object: ObjectRef::node(node_name),
                node_label: node_label.into(),
                reason: reason.into(),
                type_: k8s::event_type(phase),
                message: message.into(),
                message_prefix: "",
                component: k8s::COMPONENT,
                action: Some(kind.title()),
                action_kind: Some(kind),
                phase: Some(phase),
            },
        );
    }

    /// RFC 3339 wall-clock time of a simulated instant.
    pub fn timestamp(&self, at: SimTime) -> String {
        self.start.format(at)
    }

    fn node_name(&self, node: NodeId) -> &str {
        self.node_names
            .get(node as usize)
            .map_or("", |n| n.as_str())
    }

    /// An empty string, with the capacity of one a streamed event gave back.
    fn spare(&mut self) -> String {
        let mut s = self.spare.pop().unwrap_or_default();
        s.clear();
        s
    }

    /// Appends one event, named and timed as the module doc says.
    pub(super) fn emit(&mut self, at: SimTime, node: NodeId, e: Emitted<'_>) {
        if self.count == 0 || at.ms() != self.last_ms {
            self.last_ms = at.ms();
            self.seq_in_ms = 0;
        } else {
            self.seq_in_ms += 1;
        }
        let nanos = (self.start.0 as i128 + at.ms() as i128) * 1_000_000 + self.seq_in_ms as i128;
        self.count += 1;
        if self.files.is_some() {
            self.stream(at, node, e, nanos as u64);
            return;
        }
        let ts = self.start.format(at);
        let event = Event {
            api_version: "v1",
            kind: "Event",
            metadata: ObjectMeta {
                name: format!("{}.{:016x}", e.object.name, nanos as u64),
                namespace: "default",
                creation_timestamp: ts.clone(),
            },
            involved_object: ObjectReference {
                api_version: e.object.api_version,
                kind: e.object.kind,
                name: e.object.name.into_owned(),
            },
            reason: e.reason.into_owned(),
            message: {
                let mut m = e.message_prefix.to_string();
                e.message.write_to(&mut m);
                m
            },
            type_: e.type_,
            source: EventSource {
                component: e.component,
            },
            reporting_component: e.component,
            reporting_instance: e.component,
            first_timestamp: ts.clone(),
            last_timestamp: ts,
            count: 1,
            action: e.action,
            event_time: None,
            sim_ms: at.ms(),
            node,
            node_label: e.node_label.into_owned(),
            action_kind: e.action_kind,
            phase: e.phase,
        };
        self.events.push(event);
    }

    /// [`EventSink::emit`] for a streaming log: the event is built in the
    /// scratch event, in strings it already has, written, and its strings
    /// kept for the next one. No allocation per event once warm.
    fn stream(&mut self, at: SimTime, node: NodeId, e: Emitted<'_>, nanos: u64) {
        use std::fmt::Write as _;
        let ev = &mut self.scratch;
        let meta = &mut ev.metadata;
        meta.name.clear();
        meta.name.push_str(&e.object.name);
        let _ = write!(meta.name, ".{nanos:016x}");
        meta.creation_timestamp.clear();
        self.start.write(at, &mut meta.creation_timestamp);
        ev.first_timestamp.clear();
        ev.first_timestamp.push_str(&meta.creation_timestamp);
        ev.last_timestamp.clear();
        ev.last_timestamp.push_str(&meta.creation_timestamp);
        ev.involved_object.api_version = e.object.api_version;
        ev.involved_object.kind = e.object.kind;
        ev.message.clear();
        ev.message.push_str(e.message_prefix);
        e.message.write_to(&mut ev.message);
        if let Text::Str(Cow::Owned(s)) = e.message
            && self.spare.len() < 8
        {
            self.spare.push(s);
        }
        for (to, from) in [
            (&mut ev.involved_object.name, e.object.name),
            (&mut ev.reason, e.reason),
            (&mut ev.node_label, e.node_label),
        ] {
            to.clear();
            to.push_str(&from);
            // An owned string goes back to the pool for the next event.
            if let Cow::Owned(s) = from
                && self.spare.len() < 8
            {
                self.spare.push(s);
            }
        }
        ev.type_ = e.type_;
        ev.source.component = e.component;
        ev.reporting_component = e.component;
        ev.reporting_instance = e.component;
        ev.action = e.action;
        ev.sim_ms = at.ms();
        ev.node = node;
        ev.action_kind = e.action_kind;
        ev.phase = e.phase;
        self.markers.extend(Marker::of(ev));
        if self.error.is_none()
            && let Some(files) = &mut self.files
            && let Err(err) = files.write(ev)
        {
            self.error = Some(err);
        }
    }
}

/// Where an event stands in a remediation, at an instant on a node: what
/// the timeline chart marks.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Marker {
    /// \[ms\]
    pub sim_ms: u64,
    pub node: NodeId,
    pub phase: EventPhase,
}

impl Marker {
    /// The marker of an event that has a phase.
    fn of(e: &Event) -> Option<Marker> {
        e.phase.map(|phase| Marker {
            sim_ms: e.sim_ms,
            node: e.node,
            phase,
        })
    }
}

/// A streaming log's writer.
type EventFiles = EventWriter<std::io::BufWriter<std::fs::File>, std::io::BufWriter<std::fs::File>>;

/// What a provider's vocabulary says about one event. Its text may be
/// borrowed (a node's name, a fixed reason, a message in the emitter's
/// scratch buffer): a streaming log copies it into its scratch event, so
/// only a kept event owns its strings.
pub(super) struct Emitted<'a> {
    pub object: ObjectRef<'a>,
    pub node_label: Cow<'a, str>,
    pub reason: Cow<'a, str>,
    pub type_: &'static str,
    /// Written after `message_prefix`.
    pub message: Text<'a>,
    pub message_prefix: &'static str,
    pub component: &'static str,
    pub action: Option<&'static str>,
    pub action_kind: Option<ActionKind>,
    pub phase: Option<EventPhase>,
}

/// One record of a provider's operations log (`operations.csv`).
#[derive(Clone, Debug, PartialEq)]
pub struct Operation {
    /// Simulated time \[ms\].
    pub sim_ms: u64,
    pub node: NodeId,
    /// Replacements of the node so far: 0, or `k` for `<node>-r<k>`.
    pub replaced: u32,
    pub status: &'static str,
}

/// An operations log and what it remembers per node.
#[derive(Debug)]
struct OpsState {
    log: OpsLog,
    operations: Vec<Operation>,
    nodes: Vec<OpsNode>,
}

#[derive(Clone, Copy, Debug, Default)]
struct OpsNode {
    /// The fixing action ended; the operation is done when the node is
    /// Ready again.
    done_on_ready: bool,
    /// Inside a suppression episode (one record each).
    suppressed: bool,
    /// Replacements so far.
    replaced: u32,
    /// Replacements when the current repair started: every record of one
    /// repair names the node it acted on, even once it was replaced.
    target: u32,
}

impl OpsState {
    fn record(&mut self, rec: &Record) {
        let log = self.log;
        let node = rec.node();
        let n = &mut self.nodes[node as usize];
        match *rec {
            Record::Replaced { k, .. } => n.replaced = k,
            Record::ActionStarted { .. } | Record::Suppressed { .. } => n.target = n.replaced,
            _ => {}
        }
        let status = match *rec {
            Record::ActionStarted { .. } => {
                n.suppressed = false;
                Some(log.running)
            }
            Record::ActionEnded { fixed: true, .. } => {
                n.done_on_ready = true;
                None
            }
            Record::ActionEnded { fixed: false, .. } => log.done_when_unfixed.then_some(log.done),
            Record::Recovered { .. } => std::mem::take(&mut n.done_on_ready).then_some(log.done),
            // Once per suppression episode, at its first suppressed evaluation.
            Record::Suppressed { reason, .. } if reason.is_peer_guard() => log
                .suppressed
                .filter(|_| !std::mem::replace(&mut n.suppressed, true)),
            Record::Outcome { .. } => {
                n.suppressed = false;
                None
            }
            _ => None,
        };
        if let Some(status) = status {
            self.operations.push(Operation {
                sim_ms: rec.at().ms(),
                node,
                replaced: n.target,
                status,
            });
        }
    }
}

impl Observer for EventLog {
    fn begin(&mut self, s: &Scenario) {
        self.sink.start = s.start;
        self.sink.node_names = s.fleet.nodes.iter().map(|n| n.name.clone()).collect();
        if let Some(ne) = &mut self.node_events {
            ne.state = vec![crate::fleet::NodeState::Ready; s.fleet.len()];
            for node in 0..s.fleet.len() as NodeId {
                self.sink
                    .node_event(SimTime::ZERO, node, "RegisteredNode", NODE_CONTROLLER);
            }
        }
        self.reporter = match s.policy.preset.provider().reporting() {
            Reporting::AksEvents => Reporter::Aks {
                wording: s.policy.event_wording,
                end_on_error: s.policy.emit_end_on_error,
            },
            Reporting::OpsLog(log) => Reporter::Ops(OpsState {
                log,
                operations: Vec::new(),
                nodes: vec![OpsNode::default(); s.fleet.len()],
            }),
            Reporting::PeerEvents => {
                Reporter::Peers(Box::new(crate::observe::peer_events::PeerEvents::new(s)))
            }
        };
    }

    fn finish(&mut self, horizon: SimTime) {
        if let Reporter::Peers(p) = &mut self.reporter {
            p.flush(&mut self.sink, horizon);
        }
    }

    fn prefetch(&self, node: NodeId) {
        let n = node as usize;
        crate::cache::prefetch_at(&self.sink.node_names, n);
        if let Some(ne) = &self.node_events {
            crate::cache::prefetch_at(&ne.state, n);
        }
        if let Reporter::Ops(ops) = &self.reporter {
            crate::cache::prefetch_at(&ops.nodes, n);
        }
    }

    fn record(&mut self, rec: &Record) {
        if let &Record::FaultArrived { node, .. } = rec
            && let Some(name) = self.sink.node_names.get(node as usize)
        {
            // The name's header came with Observer::prefetch; its bytes,
            // which this incident's events will copy, come now.
            crate::cache::prefetch(name.as_bytes());
        }
        if let (Some(ne), &Record::State { at, node, state }) = (&mut self.node_events, rec) {
            use crate::fleet::NodeState::{NotReady, Ready};
            let was = std::mem::replace(&mut ne.state[node as usize], state);
            match (was, state) {
                (Ready, Ready) => {}
                (Ready, NotReady) => self.sink.node_event(at, node, "NodeNotReady", KUBELET),
                (Ready, _) => self
                    .sink
                    .node_event(at, node, "NodeNotReady", NODE_CONTROLLER),
                (_, Ready) => self.sink.node_event(at, node, "NodeReady", KUBELET),
                _ => {}
            }
        }
        match &mut self.reporter {
            Reporter::Ops(o) => o.record(rec),
            Reporter::Peers(p) => p.record(&mut self.sink, rec),
            &mut Reporter::Aks {
                wording,
                end_on_error,
            } => match *rec {
                Record::ActionStarted { at, node, kind, .. } => {
                    self.sink
                        .aks(at, node, (kind, EventPhase::Start), None, wording)
                }
                Record::ActionEnded {
                    at,
                    node,
                    kind,
                    error,
                    ..
                } => {
                    if error.is_none() || end_on_error {
                        self.sink
                            .aks(at, node, (kind, EventPhase::End), None, wording);
                    }
                    if error.is_some() {
                        self.sink
                            .aks(at, node, (kind, EventPhase::Error), error, wording);
                    }
                }
                _ => {}
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::incidents::fixtures::*;
    use super::*;

    #[test]
    fn worked_example_1_events_serialize_as_core_v1() {
        let mut log = EventLog::new();
        run(&mut log, &scenario(), &example1());
        let lines: Vec<String> = log.events().iter().map(Event::to_json).collect();
        assert_eq!(
            lines,
            vec![
                r#"{"apiVersion":"v1","kind":"Event","metadata":{"name":"system-0.18867677a3282000","namespace":"default","creationTimestamp":"2026-01-01T01:16:00Z"},"involvedObject":{"apiVersion":"v1","kind":"Node","name":"system-0"},"reason":"NodeRebootStart","message":"Node auto-repair is initiating a reboot action due to NotReady status persisting for more than five minutes.","type":"Normal","source":{"component":"aks-auto-repair"},"reportingComponent":"aks-auto-repair","reportingInstance":"aks-auto-repair","firstTimestamp":"2026-01-01T01:16:00Z","lastTimestamp":"2026-01-01T01:16:00Z","count":1,"action":"Reboot","eventTime":null}"#,
                r#"{"apiVersion":"v1","kind":"Event","metadata":{"name":"system-0.188676af84458000","namespace":"default","creationTimestamp":"2026-01-01T01:20:00Z"},"involvedObject":{"apiVersion":"v1","kind":"Node","name":"system-0"},"reason":"NodeRebootEnd","message":"Reboot action from node auto-repair is completed.","type":"Normal","source":{"component":"aks-auto-repair"},"reportingComponent":"aks-auto-repair","reportingInstance":"aks-auto-repair","firstTimestamp":"2026-01-01T01:20:00Z","lastTimestamp":"2026-01-01T01:20:00Z","count":1,"action":"Reboot","eventTime":null}"#,
            ]
        );
        assert_eq!(log.events()[0].sim_ms, 4_560_000);
        assert_eq!(log.events()[1].sim_ms, 4_800_000);
    }

    #[test]
    fn errors_are_warnings_and_names_are_unique_within_an_instant() {
        use ActionKind::*;
        let t = hms(0, 20, 0);
        let recs = vec![
            Record::ActionEnded {
                at: t,
                node: 1,
                kind: Redeploy,
                error: Some("VMRedeploymentFailed"),
                fixed: false,
            },
            Record::ActionEnded {
                at: t,
                node: 2,
                kind: Reimage,
                error: None,
                fixed: true,
            },
            Record::ActionStarted {
                at: t,
                node: 3,
                kind: Reboot,
                pass: 2,
            },
        ];
        let mut log = EventLog::new();
        run(&mut log, &scenario(), &recs);
        let ev = log.events();
        assert_eq!(ev.len(), 3);
        assert_eq!(ev[0].reason, "NodeRedeployError");
        assert_eq!(ev[0].type_, "Warning");
        assert_eq!(
            ev[0].message,
            "Node auto-repair redeploy action failed due to an operation failure. See error details here: VMRedeploymentFailed"
        );
        assert_eq!(ev[0].action, Some("Redeploy"));
        assert_eq!(ev[1].reason, "NodeReimageEnd");
        assert_eq!(ev[2].involved_object.name, "win-0");
        let suffix = |e: &Event| e.metadata.name.rsplit('.').next().unwrap().to_string();
        let s: Vec<String> = ev.iter().map(suffix).collect();
        assert!(s.iter().all(|x| {
            x.len() == 16
                && x.bytes()
                    .all(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase())
        }));
        assert!(s[0] < s[1] && s[1] < s[2]);
        // Gone once older than the TTL; exactly the TTL old is still shown.
        let ttl = crate::time::SimDuration::from_hours(1);
        assert_eq!(log.visible_at(hms(1, 20, 0), ttl).count(), 3);
        assert_eq!(
            log.visible_at(SimTime(hms(1, 20, 0).ms() + 1), ttl).count(),
            0
        );
        assert_eq!(
            log.visible_at(hms(0, 19, 0), ttl).count(),
            0,
            "not yet emitted"
        );
    }
}
