import MusterFormat
import MusterEngine

// Each provider's pipelines, as its service makes and reads them. The
// engine journals a `PipelineRef` without knowing any of these kinds; the
// names and fields here are the journal's (`{"provider": "buildbot",
// "kind": "build_request", "id": 3, "builder": 1}`), so they never change.

/// A Buildbot build request, and the builder it was forced on.
enum BuildbotPipeline: Equatable {
    case request(Int, builder: Int)
    /// A force about to be sent: its request is newer than request
    /// `after` of the builder, and its buildset's reason names the run and step.
    case trigger(after: Int, builder: Int)

    init?(_ ref: PipelineRef) {
        if let id = ref.field("id", of: .buildbot, kind: "build_request") {
            self = .request(id, builder: ref.field("builder", of: .buildbot, kind: "build_request") ?? 0)
        } else if let after = ref.field("after", of: .buildbot, kind: "trigger") {
            self = .trigger(after: after, builder: ref.field("builder", of: .buildbot, kind: "trigger") ?? 0)
        } else {
            return nil
        }
    }

    var ref: PipelineRef {
        switch self {
        case .request(let id, let builder): PipelineRef(provider: .buildbot, kind: "build_request", [.init("id", id), .init("builder", builder)])
        case .trigger(let after, let builder): PipelineRef(provider: .buildbot, kind: "trigger", [.init("builder", builder), .init("after", after)])
        }
    }
}

enum GitHubPipeline: Equatable {
    case run(Int)
    /// A workflow dispatch whose run is not known yet: it is the oldest
    /// `workflow_dispatch` run on the ref newer than `after`.
    case dispatch(after: Int)
    /// A dispatch about to be sent: its run is newer than run `after`.
    case trigger(after: Int)

    init?(_ ref: PipelineRef) {
        if let id = ref.field("id", of: .github, kind: "run") {
            self = .run(id)
        } else if let after = ref.field("after", of: .github, kind: "dispatch") {
            self = .dispatch(after: after)
        } else if let after = ref.field("after", of: .github, kind: "trigger") {
            self = .trigger(after: after)
        } else {
            return nil
        }
    }

    var ref: PipelineRef {
        switch self {
        case .run(let id): PipelineRef(provider: .github, kind: "run", [.init("id", id)])
        case .dispatch(let after): PipelineRef(provider: .github, kind: "dispatch", [.init("after", after)])
        case .trigger(let after): PipelineRef(provider: .github, kind: "trigger", [.init("after", after)])
        }
    }
}

enum GitLabPipeline: Equatable {
    case pipeline(Int)
    /// A pipeline about to be created: newer than pipeline `after`.
    case trigger(after: Int)

    init?(_ ref: PipelineRef) {
        if let id = ref.field("id", of: .gitlab, kind: "pipeline") {
            self = .pipeline(id)
        } else if let after = ref.field("after", of: .gitlab, kind: "trigger") {
            self = .trigger(after: after)
        } else {
            return nil
        }
    }

    var ref: PipelineRef {
        switch self {
        case .pipeline(let id): PipelineRef(provider: .gitlab, kind: "pipeline", [.init("id", id)])
        case .trigger(let after): PipelineRef(provider: .gitlab, kind: "trigger", [.init("after", after)])
        }
    }
}

enum JenkinsPipeline: Equatable {
    /// A queue item, until it becomes a build of the step's job.
    case queueItem(Int)
    case build(Int)
    /// A build about to be asked for: numbered `after` or higher, or still
    /// the job's queue item.
    case trigger(after: Int)

    init?(_ ref: PipelineRef) {
        if let id = ref.field("id", of: .jenkins, kind: "queue_item") {
            self = .queueItem(id)
        } else if let id = ref.field("id", of: .jenkins, kind: "build") {
            self = .build(id)
        } else if let after = ref.field("after", of: .jenkins, kind: "trigger") {
            self = .trigger(after: after)
        } else {
            return nil
        }
    }

    var ref: PipelineRef {
        switch self {
        case .queueItem(let id): PipelineRef(provider: .jenkins, kind: "queue_item", [.init("id", id)])
        case .build(let id): PipelineRef(provider: .jenkins, kind: "build", [.init("id", id)])
        case .trigger(let after): PipelineRef(provider: .jenkins, kind: "trigger", [.init("after", after)])
        }
    }
}

/// The pipelines by name, for the services and their tests.
extension PipelineRef {
    public static func buildbotRequest(_ id: Int, builder: Int) -> PipelineRef { BuildbotPipeline.request(id, builder: builder).ref }
    public static func githubRun(_ id: Int) -> PipelineRef { GitHubPipeline.run(id).ref }
    public static func githubDispatch(after: Int) -> PipelineRef { GitHubPipeline.dispatch(after: after).ref }
    public static func gitlabPipeline(_ id: Int) -> PipelineRef { GitLabPipeline.pipeline(id).ref }
    public static func jenkinsQueueItem(_ id: Int) -> PipelineRef { JenkinsPipeline.queueItem(id).ref }
    public static func jenkinsBuild(_ id: Int) -> PipelineRef { JenkinsPipeline.build(id).ref }
    /// Triggers' tokens (`pipeline_triggering`).
    public static func buildbotTrigger(after: Int, builder: Int) -> PipelineRef { BuildbotPipeline.trigger(after: after, builder: builder).ref }
    public static func githubTrigger(after: Int) -> PipelineRef { GitHubPipeline.trigger(after: after).ref }
    public static func gitlabTrigger(after: Int) -> PipelineRef { GitLabPipeline.trigger(after: after).ref }
    public static func jenkinsTrigger(after: Int) -> PipelineRef { JenkinsPipeline.trigger(after: after).ref }
}

// What releases before the `pipeline` field journaled in `value` (and,
// for Buildbot, the builder in `item`): a run journaled then resumes here.

extension Buildbot {
    func pipeline(legacy value: String, item: Int?) -> PipelineRef? {
        Int(value).map { .buildbotRequest($0, builder: item ?? 0) }
    }
}

extension GitHubActions {
    func pipeline(legacy value: String, item: Int?) -> PipelineRef? {
        if value.hasPrefix("dispatched:") { return .githubDispatch(after: Int(value.dropFirst("dispatched:".count)) ?? 0) }
        return Int(value).map { .githubRun($0) }
    }
}

extension GitLabCI {
    func pipeline(legacy value: String, item: Int?) -> PipelineRef? {
        Int(value).map { .gitlabPipeline($0) }
    }
}

extension Jenkins {
    func pipeline(legacy value: String, item: Int?) -> PipelineRef? {
        if value.hasPrefix("queue/item/") { return Int(value.dropFirst("queue/item/".count)).map { .jenkinsQueueItem($0) } }
        return value.split(separator: "/").last.flatMap { Int($0) }.map { .jenkinsBuild($0) }
    }
}
