"""Persona and Voice in a real browser: a real recording added with consent and followed live to
the end, the measured traits, an edit that changes the instructions, a restore, a stale tab's
conflict, and "say this" with a playable voice."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from playwright.sync_api import expect

from .conftest import Browsing, Look, sign_up

pytestmark = pytest.mark.slow  # a real server and browser

CLIP = Path("/work/shared/eval/speech/librivox/sense_and_sensibility_01_austen_64kb-0870.wav")  # 7 s


def _audio_plays(page: object, selector: str) -> None:
    """The audio element's source loads and decodes: it has a duration."""
    audio = page.locator(selector).first  # type: ignore[attr-defined]
    expect(audio).to_have_attribute("src", re.compile(r"/app/personas/"))
    audio.evaluate("a => a.load()")
    page.wait_for_function(  # type: ignore[attr-defined]
        "a => a.readyState >= 1 && a.duration > 0 && !a.error", arg=audio.element_handle(), timeout=60_000
    )


def test_a_real_recording_becomes_a_persona_that_can_be_edited_restored_and_heard(
    browsing: Browsing, look_at: Look
) -> None:
    if not CLIP.exists():
        pytest.skip("the shared speech clips are missing")
    page = browsing.new_page()
    sign_up(page, name="Ana")
    nav = page.get_by_role("navigation", name="Main")
    nav.get_by_role("link", name="Voice", exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Ana")
    look_at(page, "voice-empty")

    # Consent is required; the file stays chosen and the message sits next to the box.
    page.get_by_label("Audio or video files").set_input_files(str(CLIP))
    page.get_by_role("button", name="Add recordings").click()
    expect(page.locator("#f-consent-error")).to_contain_text("Tick this box")
    page.get_by_label("Audio or video files").set_input_files(str(CLIP))
    page.get_by_label(re.compile("I am the person speaking")).check()
    page.get_by_role("button", name="Add recordings").click()
    expect(page.get_by_text("Your recordings are in.")).to_be_visible()
    panel = page.locator(".job-panel").first
    expect(panel.get_by_role("heading", name="Listening to your recordings")).to_be_visible()
    look_at(page, "voice-progress")
    # Live over server-sent events: the panel ends by itself, no reload.
    expect(panel.get_by_text("Show the results")).to_be_visible(timeout=420_000)
    expect(panel.locator(".job-head .badge")).to_have_text("Done")
    panel.get_by_role("link", name="Show the results").click()
    expect(page.get_by_role("cell", name=re.compile("^sense_and_sensibility"))).to_be_visible()
    expect(page.get_by_text("Confirmed by")).to_be_visible()
    look_at(page, "voice")

    # The seller's own sentence beside the generated voice, and "say this".
    page.get_by_label("Sentence").fill("Thanks for your order, it ships tomorrow.")
    page.get_by_role("button", name="Say it").click()
    _audio_plays(page, "#say-result audio")
    _audio_plays(page, ".compare .audio:first-child audio")  # the seller, in their recording
    _audio_plays(page, ".compare .audio:last-child audio")  # the voice saying the same

    # The measured traits, with their source quotes playable.
    nav.get_by_role("link", name="Persona", exact=True).click()
    expect(page.get_by_role("heading", name="How you talk")).to_be_visible()
    rate = page.locator("#trait-speaking_rate_wpm_overall")
    expect(rate.locator(".trait-value").first).to_have_text(re.compile(r"\d+ wpm"))
    look_at(page, "persona")

    # Edit a trait: the instructions change.
    role = page.locator("#trait-role")
    role.get_by_text("Change role").click()
    role.get_by_role("textbox", name="Role").fill("owner of a small linen shop")
    role.get_by_role("button", name="Save role").click()
    expect(page.locator("#trait-role .trait-saved")).to_be_visible()
    page.get_by_text("Show the instructions").click()
    expect(page.locator(".prompt")).to_contain_text("You are Ana, owner of a small linen shop.")

    # A bad value stays next to its field.
    wpm = page.locator("#trait-speaking_rate_wpm_overall")
    wpm.get_by_text("Change speaking rate").click()
    wpm.get_by_role("textbox", name="Speaking rate").fill("very fast")
    wpm.get_by_role("button", name="Save speaking rate").click()
    expect(page.locator("#f-speaking_rate_wpm_overall-error")).to_contain_text("Type a number")
    look_at(page, "persona-field-error")

    # Restore the version before the edit: the role is gone from the instructions again.
    history = page.locator("#history")
    before_edit = history.locator(".version").nth(1)
    before_edit.get_by_role("link", name=re.compile("What changed")).click()
    restore_name = re.compile(r"Restore version \d+")
    page.locator("#history .version").nth(1).get_by_role("button", name=restore_name).click()
    expect(page.get_by_text("Version restored.")).to_be_visible()
    page.get_by_text("Show the instructions").click()
    expect(page.locator(".prompt")).not_to_contain_text("linen shop")
    look_at(page, "persona-history")


def test_two_tabs_editing_the_same_persona_show_a_conflict(browsing: Browsing, look_at: Look) -> None:
    first = browsing.new_page()
    sign_up(first, name="Bo")
    first.get_by_role("navigation", name="Main").get_by_role("link", name="Persona", exact=True).click()
    second = browsing.new_page()
    second.context.add_cookies(first.context.cookies())
    second.goto(first.url)
    for tab, tone in ((first, "warm and calm"), (second, "loud and fast")):
        trait = tab.locator("#trait-tone")
        trait.get_by_text("Change tone").click()
        trait.get_by_role("textbox", name="Tone").fill(tone)
    first.locator("#trait-tone").get_by_role("button", name="Save tone").click()
    expect(first.locator("#trait-tone .trait-saved")).to_be_visible()
    second.locator("#trait-tone").get_by_role("button", name="Save tone").click()
    expect(second.get_by_text("Not saved: this persona changed meanwhile")).to_be_visible()
    expect(second.get_by_role("textbox", name="Tone")).to_have_value("loud and fast")  # nothing typed is lost
    expect(second.locator("#trait-tone .trait-col-yours")).to_contain_text("warm and calm")
    look_at(second, "persona-conflict")
    second.locator("#trait-tone").get_by_role("button", name="Save tone").click()  # now knowingly
    expect(second.locator("#trait-tone .trait-col-yours")).to_contain_text("loud and fast")


def test_a_file_over_the_limit_is_refused_before_it_is_sent(browsing: Browsing, tmp_path: Path) -> None:
    page = browsing.new_page()
    sign_up(page, name="Cy")
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Voice", exact=True).click()
    files = page.get_by_label("Audio or video files")
    limit = int(files.get_attribute("data-max-bytes") or 0)
    assert limit > 0
    # A sparse file: as large as the limit allows plus one byte, without writing it out.
    big = tmp_path / "two-hours.mp4"
    with big.open("wb") as f:
        f.truncate(limit + 1)
    files.set_input_files(str(big))
    expect(page.locator("#f-files-error")).to_contain_text("two-hours.mp4 is")
    expect(page.locator("#f-files-error")).to_contain_text("larger than the")
    page.get_by_label(re.compile("I am the person speaking")).check()
    page.get_by_role("button", name="Add recordings").click()
    expect(files).to_be_focused()
    expect(page).to_have_url(re.compile(r"/voice$"))  # not sent: still the page, no error page
