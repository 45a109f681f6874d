"""Optional generated answers: the site's own model rewrites the evidence spans, and every sentence it writes
is verified against the spans it cites before a visitor sees it.

Off unless `BOT_LLM_BASE_URL` is set; nothing here imports an LLM client until then (model.py imports
`langchain_openai` inside a function). The pieces:
- verify.py: one sentence against its cited spans (citations, support, numbers, negation);
- sentences.py: cuts a token stream into complete sentences, markers included;
- model.py: the LangChain Runnable (prompt | chat model | text) for an OpenAI-compatible endpoint;
- writer.py: AnswerWriter, which asks, verifies, streams what passed, and falls back to the quoted answer.
"""
