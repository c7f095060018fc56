import Foundation
import IRPOLoading
import IRPOTasks
import IRPOTokenizer

/// The text a model sees for a task item: the task's `PromptTemplate`, optionally wrapped as a single
/// user message in the model's chat template (`task.chat: true`, for instruct models such as
/// SmolLM2-Instruct or Llama-2-chat, as the paper's Llama-2-70B-Chat was prompted).
public struct PromptFormatter: Sendable {
    /// The task's prompt.
    public var template: PromptTemplate
    /// The tokenizer whose chat template wraps each prompt (nil: the raw prompt).
    public var chatTokenizer: Tokenizer?

    /// A formatter; `chatTokenizer` must have a chat template when given.
    public init(template: PromptTemplate, chatTokenizer: Tokenizer? = nil) {
        self.template = template
        self.chatTokenizer = chatTokenizer
    }

    /// The formatter of a run: raw prompts, or (with `chat`) the chat template of the model at
    /// `modelFolder` (any path `ModelSource` accepts: HF folder, `.gguf` file, folder holding one).
    /// - Throws: `PipelineError` naming `task.chat` and the model when it has no tokenizer or no
    ///   chat template.
    public static func load(template: PromptTemplate, chat: Bool, modelFolder: URL) throws -> PromptFormatter {
        guard chat else { return PromptFormatter(template: template) }
        let loaded: Tokenizer?
        do {
            loaded = try ModelSource(path: modelFolder.path).tokenizer()
        } catch {
            throw PipelineError("task.chat is true but the tokenizer of \(modelFolder.path) cannot be loaded (\(error)); "
                + "chat prompts need the model's tokenizer (tokenizer.json or GGUF metadata) and its chat template")
        }
        guard let tokenizer = loaded, tokenizer.configuration.chatTemplate != nil else {
            throw PipelineError("task.chat is true but \(modelFolder.path) has no chat template (tokenizer_config.json "
                + "chat_template, chat_template.jinja or GGUF tokenizer.chat_template); set task.chat to false for a base model")
        }
        return PromptFormatter(template: template, chatTokenizer: tokenizer)
    }

    /// What precedes a completion (a gold solution or a sample) after the prompt: the template's
    /// separator for raw prompts, nothing after a chat template's assistant header.
    public var completionSeparator: String { chatTokenizer == nil ? template.completionSeparator : "" }

    /// The prompt text of `item`.
    /// - Throws: the chat template's rendering error, if any.
    public func render(item: TaskItem) throws -> String {
        guard let tokenizer = chatTokenizer else { return template.render(item: item) }
        return try template.render(item: item) { text in
            try tokenizer.applyChatTemplate([ChatMessage(role: "user", content: text)], addGenerationPrompt: true)
        }
    }
}
