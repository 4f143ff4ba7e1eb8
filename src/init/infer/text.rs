//! Text columns: a generator by the column's name, length CHECKs and
//! uniqueness (handles for usernames and slugs, prose for bodies).

use super::super::catalog::Column;
use super::Choice;

pub(super) fn max_length(type_name: &str) -> Option<u32> {
    type_name
        .split_once('(')?
        .1
        .trim_end_matches(')')
        .parse()
        .ok()
}

/// Words of a column name that mean a short handle: a username, a slug.
const HANDLES: &[&str] = &[
    "slug",
    "username",
    "handle",
    "login",
    "nickname",
    "subdomain",
];

pub(super) fn text_choice(
    column: &Column,
    w: &[&str],
    unique: bool,
    (lo, hi): (Option<i64>, Option<i64>),
) -> Option<Choice> {
    let has = |word: &str| w.contains(&word);
    let last = w.last().copied().unwrap_or_default();
    let longest = hi.or(max_length(&column.type_name).map(i64::from));
    let choice = if has("email") {
        Choice::new("{ gen = \"email\" }", "an e-mail address (by its name)")
    } else if HANDLES.iter().any(|h| has(h))
        || ((lo.is_some() || hi.is_some()) && (unique || hi.is_some_and(|h| h < 40)))
    {
        handle(lo, longest, "a handle (by its name or its length CHECK)")
    } else if unique && max_length(&column.type_name).is_some_and(|n| n < 36) {
        Choice::new(
            "{ gen = \"serial\" }",
            "unique short text: the row's number keeps every row distinct",
        )
    } else if unique {
        Choice::new(
            "{ gen = \"uuid\" }",
            "unique text: a UUID's text keeps every row distinct",
        )
    } else if ["phone", "mobile", "tel", "telephone"]
        .iter()
        .any(|n| has(n))
    {
        Choice::new(
            "{ gen = \"int\", min = 2000000000, max = 9999999999 }",
            "a ten-digit phone number (by its name)",
        )
    } else if ["first", "given"].iter().any(|n| has(n)) {
        Choice::new("{ gen = \"first_name\" }", "a first name (by its name)")
    } else if has("name") || has("username") || last == "by" {
        Choice::new("{ gen = \"name\" }", "a person's name (by its name)")
    } else if has("title") || has("subject") || has("headline") {
        Choice::new(
            "{ gen = \"title\", min_words = 2, max_words = 6 }",
            "a title (by its name)",
        )
    } else if ["url", "uri", "link", "avatar", "image", "photo", "path"]
        .iter()
        .any(|n| has(n))
    {
        Choice::new(
            format!(
                "{{ gen = \"url\", prefix = \"https://example.com/{}/\" }}",
                column.name
            ),
            "a URL (by its name)",
        )
    } else if [
        "content",
        "body",
        "text",
        "description",
        "bio",
        "notes",
        "message",
        "prompt",
        "comment",
    ]
    .iter()
    .any(|n| has(n))
    {
        Choice::new(
            "{ gen = \"paragraph\", min_sentences = 1, max_sentences = 4 }",
            "prose (by its name)",
        )
    } else if column.default.is_some() {
        return None;
    } else if max_length(&column.type_name).is_some_and(|n| n < 24) {
        let n = max_length(&column.type_name).unwrap_or(1) as usize;
        Choice::new(
            format!("{{ gen = \"const\", value = {:?} }}", "x".repeat(n.min(3))),
            format!(
                "short text ({}): one value; give it its real ones",
                column.type_name
            ),
        )
    } else {
        Choice::new(
            "{ gen = \"sentence\", min_words = 1, max_words = 4 }",
            "a few words",
        )
    };
    Some(choice)
}

fn handle(lo: Option<i64>, hi: Option<i64>, why: &str) -> Choice {
    let hi = hi.unwrap_or(30).max(1);
    let lo = lo.unwrap_or(3).clamp(1, hi);
    Choice::new(
        format!("{{ gen = \"handle\", min_len = {lo}, max_len = {hi} }}"),
        format!("{why}: {lo} to {hi} letters and digits, unique"),
    )
}

/// The longest and shortest text a generator writes, roughly (fake's
/// words are 2 to 14 letters).
fn text_lengths(generator: &str) -> Option<(i64, i64)> {
    let kind = generator.split('"').nth(1)?;
    Some(match kind {
        "paragraph" => (10, 450),
        "sentence" => (2, 110),
        "title" => (5, 90),
        "name" => (5, 40),
        "first_name" => (2, 14),
        "uuid" => (36, 36),
        "email" => (8, 60),
        "url" => (20, 100),
        _ => return None,
    })
}

/// A text generator within a length CHECK: shorter prose, or a handle.
pub(super) fn fit_length(
    choice: Choice,
    column: &Column,
    (lo, hi): (Option<i64>, Option<i64>),
) -> Choice {
    let Some((shortest, longest)) = text_lengths(&choice.generator) else {
        return choice;
    };
    let too_long = hi.is_some_and(|h| longest > h);
    let too_short = lo.is_some_and(|l| shortest < l);
    if !too_long && !too_short {
        return choice;
    }
    if hi.is_some_and(|h| h >= 120) && lo.is_none_or(|l| l <= 10) {
        return Choice::new(
            "{ gen = \"sentence\", min_words = 3, max_words = 12 }",
            format!("{}, a sentence to fit its length CHECK", choice.why),
        );
    }
    let longest = hi.or(max_length(&column.type_name).map(i64::from));
    handle(lo, longest, "short text within its length CHECK")
}
