import Testing
import MusterFormat

@Suite("StepKey: the one grammar of step keys")
struct StepKeyTests {
    @Test func keysAreBuiltAsTheJournalNamesThem() {
        #expect(StepKey.child(of: nil, "drain").raw == "drain")
        #expect(StepKey.child(of: "failover", "drain").raw == "failover/drain")
        #expect(StepKey("redeploy").item("api").raw == "redeploy[api]")
        #expect(StepKey("wait-healthy").child("error-rate").raw == "wait-healthy/error-rate")
    }

    @Test func eachKeyKnowsItsParent() {
        #expect(StepKey("drain").parent == nil)
        #expect(StepKey("failover/drain").parent == StepKey("failover"))
        #expect(StepKey("a/b/c").parent == StepKey("a/b"))
        #expect(StepKey("redeploy[api]").parent == StepKey("redeploy"))
        #expect(StepKey("g/redeploy[api]").parent == StepKey("g/redeploy"))
        // An item's value may hold a slash: it is still one item of the loop.
        #expect(StepKey("redeploy[eu/west]").parent == StepKey("redeploy"))
    }

    @Test func aLoopItemIsReadBack() throws {
        let li = try #require(StepKey("g/redeploy[eu/west]").loopItem)
        #expect(li.loop == StepKey("g/redeploy"))
        #expect(li.item == "eu/west")
        #expect(StepKey("redeploy").loopItem == nil)
        #expect(StepKey("odd]").loopItem == nil)
    }

    @Test func theLastPartIsTheStepsOwnId() {
        #expect(StepKey("choose-path").last == "choose-path")
        #expect(StepKey("incident/choose-path").last == "choose-path")
        #expect(StepKey("g/redeploy[eu/west]").last == "redeploy[eu/west]")
    }

    @Test func insideMeansUnderTheStepNotAStepWithALongerName() {
        #expect(StepKey("deploy/api").isInside(StepKey("deploy")))
        #expect(StepKey("deploy[api]").isInside(StepKey("deploy")))
        #expect(StepKey("deploy/x/y").isInside(StepKey("deploy")))
        #expect(!StepKey("deploy-2").isInside(StepKey("deploy")))
        #expect(!StepKey("deploy").isInside(StepKey("deploy")))
    }
}
