/// The pages, stylesheet and script, embedded in the binary at build time (SwiftPM
/// `embedInCode`): nothing to install beside it, no CDN, no Foundation `Bundle`.
///
/// The five signed-in pages share one head and navigation (`layout.html`); each page's file holds
/// only its `<main>` content, put into the layout once, at first use.
enum WebPages {
    static let login = text(PackageResources.login_html)
    static let installation = page("installation", title: "installation", main: PackageResources.index_html)
    static let calibrate = page("calibrate", title: "calibration", main: PackageResources.calibrate_html)
    static let train = page("train", title: "training", main: PackageResources.train_html)
    static let whereAmI = page("whereami", title: "where am I", main: PackageResources.whereami_html)
    static let dashboard = page("dashboard", title: "dashboard", main: PackageResources.dashboard_html)
    static let css = text(PackageResources.app_css)
    static let js = text(PackageResources.app_js)

    private static func text(_ bytes: [UInt8]) -> String { String(decoding: bytes, as: UTF8.self) }

    /// The layout with this page's `data-page` id (app.js and the nav highlight key on it), title and main.
    private static func page(_ id: String, title: String, main: [UInt8]) -> String {
        var main = text(main)
        while main.hasSuffix("\n") { main.removeLast() }
        return text(PackageResources.layout_html)
            .replacing("{{page}}", with: id)
            .replacing("{{title}}", with: title)
            .replacing("{{main}}", with: main)
    }
}
