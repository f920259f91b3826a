import MusterCLI

@main
struct Entrypoint {
    static func main() {
        MusterMain.run()
    }
}
