/// The prompts of the paper (Pang et al. 2024) and of the built-in synthetic task.
extension PromptTemplate {
    /// The zero-shot GSM8K prompt of the paper.
    public static let gsm8k = PromptTemplate(
        instruction: "Your task is to answer the question below. Give step by step reasoning before you answer, and when you're ready to answer, please use the format \"Final answer: ...\""
    )

    /// The zero-shot ARC prompt of the paper; options follow the question as "(A) ... (B) ...".
    public static let arc = PromptTemplate(
        instruction: "Your task is to answer the question below. Give step by step reasoning before you answer, and when you're ready to answer, conclude using the format \"Final answer: (insert letter here)\""
    )

    /// The 4-shot MATH prompt: the four worked examples of Minerva (Lewkowycz et al. 2022),
    /// each answer in `\boxed{}` and concluded with "Final answer: ...", as the paper describes.
    /// The instruction follows the paper's GSM8K wording, with the `\boxed{}` request added.
    public static let math = PromptTemplate(
        instruction: "Your task is to answer the question below. Give step by step reasoning before you answer, and when you're ready to answer, put the answer in \\boxed{} and conclude using the format \"Final answer: ...\"",
        examples: mathExamples
    )

    /// A compact prompt for the synthetic task ("Q: ...\nA:"), short enough for a small
    /// character-level model.
    public static let syntheticArithmetic = PromptTemplate(questionPrefix: "Q: ", solutionCue: "A:", blockSeparator: "\n")

    /// The four MATH examples (question, solution ending in "Final answer: ...").
    public static let mathExamples: [Example] = [
        Example(
            question: "Find the domain of the expression $\\frac{\\sqrt{x-2}}{\\sqrt{5-x}}$.",
            solution: "The expressions inside each square root must be non-negative. Therefore, $x-2 \\ge 0$, so $x\\ge2$, and $5 - x \\ge 0$, so $x \\le 5$. Also, the denominator cannot be equal to zero, so $5-x>0$, which gives $x<5$. Therefore, the domain of the expression is $\\boxed{[2,5)}$.\nFinal answer: $[2,5)$"
        ),
        Example(
            question: "If $\\det \\mathbf{A} = 2$ and $\\det \\mathbf{B} = 12,$ then find $\\det (\\mathbf{A} \\mathbf{B}).$",
            solution: "We have that $\\det (\\mathbf{A} \\mathbf{B}) = (\\det \\mathbf{A})(\\det \\mathbf{B}) = (2)(12) = \\boxed{24}.$\nFinal answer: $24$"
        ),
        Example(
            question: "Terrell usually lifts two 20-pound weights 12 times. If he uses two 15-pound weights instead, how many times must Terrell lift them in order to lift the same total weight?",
            solution: "If Terrell lifts two 20-pound weights 12 times, he lifts a total of $2\\cdot 12\\cdot20=480$ pounds of weight. If he lifts two 15-pound weights instead for $n$ times, he will lift a total of $2\\cdot15\\cdot n=30n$ pounds of weight. Equating this to 480 pounds, we can solve for $n$:\n\\begin{align*}\n30n&=480\\\\\n\\Rightarrow\\qquad n&=480/30=\\boxed{16}\n\\end{align*}\nFinal answer: $16$"
        ),
        Example(
            question: "If the system of equations\n\\begin{align*}\n6x-4y&=a,\\\\\n6y-9x &=b.\n\\end{align*}\nhas a solution $(x, y)$ where $x$ and $y$ are both nonzero, find $\\frac{a}{b},$ assuming $b$ is nonzero.",
            solution: "If we multiply the first equation by $-\\frac{3}{2}$, we obtain $$6y-9x=-\\frac{3}{2}a.$$ Since we also know that $6y-9x=b$, we have $$-\\frac{3}{2}a=b\\Rightarrow\\frac{a}{b}=\\boxed{-\\frac{2}{3}}.$$\nFinal answer: $-\\frac{2}{3}$"
        ),
    ]
}
