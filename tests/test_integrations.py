"""LangChain conventions: inputs the ecosystem uses, a chain that callbacks can see, retriever metadata."""
import pytest
from langchain_core.callbacks import BaseCallbackHandler
from langchain_core.messages import AIMessage, HumanMessage, SystemMessage
from langchain_core.output_parsers import StrOutputParser
from langchain_core.prompts import ChatPromptTemplate

from bot.errors import InvalidQuestionError
from bot.integrations import HybridRetriever, answer_runnable, parse_input

FIRST = "What did the ALPADIR trial find about craving?"


def test_inputs_in_every_langchain_shape_are_read():
    history = [HumanMessage(FIRST), AIMessage("Craving fell more on baclofen.")]
    expected = [{"role": "user", "content": FIRST}, {"role": "assistant", "content": "Craving fell more on baclofen."}]
    assert parse_input({"input": "What dose?", "chat_history": history}) == {"question": "What dose?",
                                                                             "history": expected}
    assert parse_input({"question": "What dose?",
                        "history": [("human", FIRST), ("ai", "Craving fell more on baclofen.")]})["history"] == expected
    assert parse_input([*history, HumanMessage("What dose?")]) == {"question": "What dose?", "history": expected}
    prompt = ChatPromptTemplate.from_messages([("human", "{q}")]).invoke({"q": "What dose?"})
    assert parse_input(prompt)["question"] == "What dose?"


@pytest.mark.parametrize("bad", [42, {"text": "hi"}, {"question": "a", "input": "b"}, {"question": "a", "extra": 1},
                                 {"question": "a", "chat_history": [SystemMessage("be brief")]},
                                 {"question": "a", "chat_history": [42]}, [AIMessage("no question")]])
def test_anything_else_is_rejected_with_a_clear_error(bad):
    with pytest.raises(InvalidQuestionError):
        parse_input(bad)


def test_a_role_tuple_is_not_read_as_the_user_saying_the_role(corpus_bot):
    from bot.conversation import previous_user_messages

    assert previous_user_messages([("human", FIRST), ("ai", "...")]) == [FIRST]


def test_the_chain_works_with_str_output_parser_and_keeps_the_record(corpus_bot):
    chain = answer_runnable(corpus_bot)
    message = chain.invoke({"input": "What was the target dose in ALPADIR?"})
    record = message.response_metadata["answer"]
    assert message.content == record["answer"] and not record["refused"] and record["citations"]
    text = (chain | StrOutputParser()).invoke("What was the target dose in ALPADIR?")
    assert text == record["answer"]


def test_stream_yields_the_answer_piece_by_piece(corpus_bot):
    question = "How much baclofen should I take?"  # a notice, then the quoted answer
    chunks = list((answer_runnable(corpus_bot) | StrOutputParser()).stream(question))
    whole = answer_runnable(corpus_bot).invoke(question).content
    assert "".join(chunks) == whole and len(chunks) >= 2


def test_callbacks_see_the_retrieval_inside_the_chain(corpus_bot):
    class Recorder(BaseCallbackHandler):
        def __init__(self):
            self.retrieved = None

        def on_retriever_end(self, documents, **kwargs):
            self.retrieved = documents

    recorder = Recorder()
    answer_runnable(corpus_bot).invoke("Is baclofen addictive?", config={"callbacks": [recorder]})
    assert recorder.retrieved and all(d.id and d.metadata["source"].startswith("http") for d in recorder.retrieved)


def test_retriever_follows_the_conventions(corpus_bot):
    retriever = HybridRetriever(bot=corpus_bot, search_kwargs={"k": 3})
    documents = retriever.invoke("What dose did ALPADIR use?")
    assert len(documents) == 3
    for document in documents:
        passage = corpus_bot.index().passages[corpus_bot.index().position[document.id]]
        assert document.metadata["source"] == passage.url and document.metadata["start_index"] == passage.start
    assert len(retriever.invoke("What dose did ALPADIR use?", k=2)) == 2


def test_retriever_without_a_bot_uses_the_default_one(corpus_bot, monkeypatch):
    import bot.service

    monkeypatch.setattr(bot.service, "_default", corpus_bot)
    assert HybridRetriever().invoke("Is baclofen addictive?")


def test_the_structured_answer_is_still_available(corpus_bot):
    answer = answer_runnable(corpus_bot, output="answer").invoke({"question": "What was the target dose in ALPADIR?"})
    assert not answer.refused and "180 mg" in answer.text
