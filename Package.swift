// swift-tools-version:6.0
import PackageDescription

// Numeric code needs AVX2/FMA code generation on x86-64: without a target CPU,
// SIMD fused multiply-adds become per-lane libm calls. Set IRPO_TARGET_CPU to override
// (e.g. "znver3"), or to "none" to build for the generic x86-64 baseline.
#if arch(x86_64)
import Foundation
let targetCPU = ProcessInfo.processInfo.environment["IRPO_TARGET_CPU"] ?? "haswell"
let numericSettings: [SwiftSetting] = targetCPU == "none" ? [] : [
    .unsafeFlags(["-target-cpu", targetCPU])
]
#else
let numericSettings: [SwiftSetting] = []
#endif

let package = Package(
    name: "irpo",
    platforms: [.macOS(.v14)],
    products: [
        .executable(name: "irpo", targets: ["irpo"]),
        .library(name: "IRPOFormats", targets: ["IRPOFormats"]),
        .library(name: "IRPOTensor", targets: ["IRPOTensor"]),
        .library(name: "IRPOModel", targets: ["IRPOModel"]),
        .library(name: "IRPOTokenizer", targets: ["IRPOTokenizer"]),
        .library(name: "IRPOTasks", targets: ["IRPOTasks"]),
        .library(name: "IRPOGeneration", targets: ["IRPOGeneration"]),
        .library(name: "IRPOTraining", targets: ["IRPOTraining"]),
        .library(name: "IRPOLoading", targets: ["IRPOLoading"]),
        .library(name: "IRPOBackends", targets: ["IRPOBackends"]),
        .library(name: "IRPOServer", targets: ["IRPOServer"]),
        .library(name: "IRPOPipeline", targets: ["IRPOPipeline"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        .package(url: "https://github.com/apple/swift-atomics", from: "1.2.0"),
        .package(url: "https://github.com/swift-server/async-http-client", from: "1.20.0"),
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.0.0"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.0.0"),
        .package(url: "https://github.com/apple/swift-nio", from: "2.0.0"),
        .package(url: "https://github.com/jpsim/Yams", from: "5.0.0"),
    ],
    targets: [
        .systemLibrary(
            name: "CBLAS",
            pkgConfig: "openblas",
            providers: [.apt(["libopenblas-dev"])]
        ),
        // AVX-512 versions of the hottest decode kernels, each function compiled for its own target
        // and called only after a run-time check, so the library still loads on every x86-64 CPU.
        .target(name: "CIRPOKernels"),
        .target(name: "IRPOTensor", dependencies: ["CBLAS", "CIRPOKernels", .product(name: "Atomics", package: "swift-atomics")], swiftSettings: numericSettings),
        .target(name: "IRPOFormats", dependencies: ["IRPOTensor"], swiftSettings: numericSettings),
        .target(name: "IRPOModel", dependencies: ["IRPOFormats", "IRPOTensor", "CIRPOKernels"], swiftSettings: numericSettings),
        .target(name: "IRPOTokenizer", dependencies: ["IRPOFormats"]),
        .target(name: "IRPOTasks"),
        .target(name: "IRPOGeneration", dependencies: ["IRPOModel", "IRPOTensor", "IRPOTokenizer", "CIRPOKernels"], swiftSettings: numericSettings),
        .target(name: "IRPOTraining", dependencies: ["IRPOModel", "IRPOTensor", "IRPOFormats"], swiftSettings: numericSettings),
        .target(name: "IRPOLoading", dependencies: ["IRPOFormats", "IRPOModel", "IRPOTokenizer"]),
        .target(
            name: "IRPOBackends",
            dependencies: [
                "IRPOGeneration", "IRPOModel", "IRPOTokenizer", "IRPOLoading", "IRPOTraining",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOCore", package: "swift-nio"),
            ],
            swiftSettings: numericSettings
        ),
        .target(
            name: "IRPOServer",
            dependencies: [
                "IRPOGeneration", "IRPOModel", "IRPOTokenizer", "IRPOLoading",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: numericSettings
        ),
        .target(
            name: "IRPOPipeline",
            dependencies: [
                "IRPOTasks", "IRPOModel", "IRPOGeneration", "IRPOTraining", "IRPOTokenizer", "IRPOTensor",
                "IRPOFormats", "IRPOBackends", "IRPOLoading",
                .product(name: "Yams", package: "Yams"),
            ],
            swiftSettings: numericSettings
        ),
        .executableTarget(
            name: "irpo",
            dependencies: [
                "IRPOFormats", "IRPOTensor", "IRPOModel", "IRPOTokenizer", "IRPOTasks",
                "IRPOGeneration", "IRPOTraining", "IRPOPipeline", "IRPOBackends", "IRPOServer", "IRPOLoading",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            swiftSettings: numericSettings
        ),
        // Shared by the seeded mutation tests: the seeded generator, time and memory bounds, GGUF structure.
        .target(name: "IRPOFuzzSupport", dependencies: ["IRPOFormats", "IRPOTasks", "IRPOTensor"], path: "Tests/IRPOFuzzSupport"),
        .testTarget(name: "IRPOFormatsTests", dependencies: ["IRPOFormats", "IRPOFuzzSupport"], resources: [.copy("Fixtures")]),
        .testTarget(name: "IRPOTensorTests", dependencies: ["IRPOTensor"], swiftSettings: numericSettings),
        .testTarget(name: "IRPOModelTests", dependencies: ["IRPOModel", "IRPOFormats", "IRPOTensor", "IRPOTraining", "IRPOFuzzSupport"], resources: [.copy("Fixtures")]),
        .testTarget(name: "IRPOTokenizerTests", dependencies: ["IRPOTokenizer", "IRPOFormats", "IRPOFuzzSupport"], resources: [.copy("Fixtures")]),
        .testTarget(name: "IRPOLoadingTests", dependencies: ["IRPOLoading", "IRPOBackends", "IRPOFormats", "IRPOGeneration", "IRPOModel", "IRPOTokenizer"]),
        .testTarget(name: "IRPOTasksTests", dependencies: ["IRPOTasks"]),
        .testTarget(name: "IRPOPipelineTests", dependencies: ["IRPOPipeline", "IRPOTasks", "IRPOModel", "IRPOTraining", "IRPOGeneration", "IRPOBackends", "IRPOFormats", "IRPOLoading", "IRPOTokenizer", "IRPOFuzzSupport"]),
        .testTarget(
            name: "IRPOBackendsTests",
            dependencies: [
                "IRPOBackends", "IRPOGeneration",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ]
        ),
        .testTarget(
            name: "IRPOServerTests",
            dependencies: [
                "IRPOServer", "IRPOBackends", "IRPOGeneration", "IRPOModel", "IRPOTokenizer", "IRPOLoading", "IRPOFuzzSupport",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdTesting", package: "hummingbird"),
            ]
        ),
        .testTarget(name: "IRPOGenerationTests", dependencies: ["IRPOGeneration", "IRPOModel", "IRPOTensor", "IRPOTokenizer"]),
        .testTarget(name: "irpoTests", dependencies: ["irpo", "IRPOLoading", "IRPOModel", "IRPOFormats", "IRPOTokenizer", .product(name: "ArgumentParser", package: "swift-argument-parser")]),
        .testTarget(name: "IRPOTrainingTests", dependencies: ["IRPOTraining", "IRPOModel", "IRPOTensor", "IRPOFormats", "IRPOFuzzSupport"], resources: [.copy("Fixtures")]),
    ]
)
