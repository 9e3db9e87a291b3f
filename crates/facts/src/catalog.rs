//! The facts bundled with the service, served when no upstream is configured, so that it
//! runs offline.
//!
//! Each fact names the Wikipedia article to check it against. Ids are fixed: they were
//! made once, from the SHA-256 of `facts-service catalog/<name>`, and must not change
//! (PostgreSQL counts views by id). Add facts at the end, with new ids.

use crate::clock::UtcDate;
use crate::fact::{Fact, FactId};

/// Where catalog facts say they come from.
pub const SOURCE: &str = "en.wikipedia.org";

struct Entry {
    id: &'static str,
    /// The Wikipedia article, as it appears in the article's URL.
    article: &'static str,
    text: &'static str,
}

const fn entry(id: &'static str, article: &'static str, text: &'static str) -> Entry {
    Entry { id, article, text }
}

const ENTRIES: &[Entry] = &[
    entry("f2e23856bb43e0ee89a2af01b50ed403", "Honey", "Honey sealed in a jar keeps for decades: it holds so little water, and is so acidic, that microbes can hardly live in it."),
    entry("20698e67c8508b287cc1312225980ee7", "Octopus", "An octopus has three hearts: two pump blood through its gills, the third through the rest of its body."),
    entry("512a7745b5f5a3e8653ce99a0c5154a4", "Venus", "A day on Venus is longer than its year: it turns once in about 243 Earth days but goes round the Sun in about 225."),
    entry("9e45ab1167db61c6075b578c4c4ef6fb", "Banana", "Botanically, a banana is a berry and a strawberry is not."),
    entry("181e812674f488602c190e7ca435e45c", "Eiffel_Tower", "The Eiffel Tower is a few centimetres taller on a hot summer day than on a cold winter one: its iron expands in the heat."),
    entry("2e1ab81337437adb6ec5ba098e0f3041", "Wombat", "Wombats leave droppings shaped like cubes."),
    entry("7fafe89ed1c79957aee5df02624473a9", "Anglo-Zanzibar_War", "The Anglo-Zanzibar War of 1896 is thought to be the shortest war on record: it lasted less than an hour."),
    entry("cc52b59b629540e06b052a827b79bb68", "University_of_Oxford", "Teaching at Oxford had begun by 1096, more than two centuries before the Aztecs founded Tenochtitlan in 1325."),
    entry("a189729374918a2b35e1cf585359324c", "Cleopatra", "Cleopatra lived closer in time to the first Moon landing than to the building of the Great Pyramid of Giza."),
    entry("e2892f86d16c9e4b4d6cc9a1213d7fb1", "Unicorn", "The national animal of Scotland is the unicorn."),
    entry("90c97a4cabab216e04dab649f4b3ac9c", "R.U.R.", "The word 'robot' comes from Karel Čapek's 1920 play R.U.R.; the Czech 'robota' means forced labour."),
    entry("940304d967b5d86ad3311cbe0ee72975", "Jiffy_(time)", "A jiffy is a real unit of time: in electronics, one cycle of mains current, a 50th or a 60th of a second."),
    entry("2a5ef10ef8c39a8ac6b0b56761dd1c51", "Saturn", "Saturn is less dense than water."),
    entry("c0be6c6ba4fa5c76a6401a8966bb548c", "Great_Wall_of_China", "The Great Wall of China cannot be seen with the naked eye from the Moon."),
    entry("ac08bfea9bddd3643f600644dc612306", "Fredric_Baur", "Fredric Baur, who designed the Pringles can, had part of his ashes buried in one."),
    entry("e00cbbc4ef1a5f6e5b31262152550cbb", "Bubble_wrap", "Bubble wrap was first meant to be sold as textured wallpaper."),
    entry("02dcf79f88a136c729482230f737275f", "Tittle", "The dot over a lowercase i or j is called a tittle."),
    entry("cac3cbb5ed27cbc8020b717bd35b50cf", "Sea_otter", "The sea otter has the densest fur of any animal."),
    entry("67b3c3fa45cf67ba91504e7e04eadd85", "Hawaiian_language", "The Hawaiian alphabet has thirteen letters: five vowels and eight consonants, the ʻokina among them."),
    entry("3b7d57857519845b3252510257792f7d", "Lightning", "The air in a lightning channel gets several times hotter than the surface of the Sun."),
    entry("ce4eb6da8e4e5b43e407326254446615", "Tardigrade", "Tardigrades have survived days in open space, exposed to its vacuum and radiation."),
    entry("e07599e2fd21b0c5bee7c245320a10e5", "Orange_(fruit)", "Ripe oranges from tropical countries can stay green: their peel turns orange only where nights get cool."),
    entry("d52a06c0aa18fabe13690bcba0ff4c34", "Grace_Hopper", "In 1947 the operators of the Harvard Mark II found a moth stuck in a relay and taped it into their logbook as the first actual case of a bug being found."),
    entry("c3ec86e1b830027f078c15b4f868afc2", "Rust_(programming_language)", "The Rust programming language is named after the rust fungi, which its creator called over-engineered for survival."),
    entry("72d9609bf7012c26be3ab51a935230e8", "Blue_whale", "The blue whale is the largest animal known ever to have lived."),
    entry("c4c9b90adf4360345fc297fd1b22aa7e", "Moon", "The Moon moves about 3.8 centimetres further away from the Earth every year."),
    entry("ca5dd3c11d6a44b6f839bcd3793a2495", "Alaska", "Alaska is the northernmost, the westernmost and the easternmost state of the United States: its Aleutian Islands cross the 180th meridian."),
    entry("ab147de7fea574acf642866f287aa65b", "Nintendo", "Nintendo was founded in 1889, to make playing cards."),
    entry("db2eae3b9af12513dc49e62d3c8f1eea", "Hundred_Years%27_War", "The Hundred Years' War lasted 116 years, from 1337 to 1453."),
    entry("4daa008cf6d605ae49212c3d9f2d84ff", "Mercury_(planet)", "From one sunrise to the next, a day on Mercury lasts two of its years."),
    entry("de9261459abd7a8457b028f063d0a477", "Butterfly", "Butterflies taste with their feet."),
    entry("58abcf8ef4c6fb66b5dada08473d32ea", "Glass", "Old window panes are not thicker at the bottom because glass flows: they were made uneven, and often fitted thick side down."),
];

/// How many facts the catalog holds.
pub fn len() -> usize {
    ENTRIES.len()
}

/// Every fact of the catalog, in catalog order.
pub fn all() -> impl Iterator<Item = Fact> {
    ENTRIES.iter().map(fact)
}

/// A fact chosen at random.
pub fn random() -> Fact {
    fact(&ENTRIES[fastrand::usize(..ENTRIES.len())])
}

/// The fact of `date`: the same all day, a different one the next day, going round the
/// catalog.
pub fn for_date(date: UtcDate) -> Fact {
    let len = i64::try_from(ENTRIES.len()).unwrap_or(i64::MAX);
    // In range: rem_euclid of a positive length is below it.
    let index = date.days_since_epoch().rem_euclid(len) as usize;
    fact(&ENTRIES[index])
}

fn fact(entry: &Entry) -> Fact {
    Fact {
        // Checked by the tests below.
        id: FactId::parse(entry.id).expect("catalog ids are well formed"),
        text: entry.text.to_string(),
        source: SOURCE.to_string(),
        source_url: format!("https://en.wikipedia.org/wiki/{}", entry.article),
        language: "en".to_string(),
        // The service's own address for it: a stored fact is served at /facts/{id}.
        permalink: format!("/facts/{}", entry.id),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    #[test]
    fn ids_are_well_formed_lowercase_and_unique() {
        let mut seen = HashSet::new();
        for entry in ENTRIES {
            let id = FactId::parse(entry.id).expect(entry.id);
            assert_eq!(id.as_str(), entry.id, "stored in lowercase");
            assert!(seen.insert(entry.id), "{} twice", entry.id);
        }
        assert!(len() >= 30);
    }

    #[test]
    fn texts_are_unique_and_not_blank() {
        let mut seen = HashSet::new();
        for fact in all() {
            assert!(!fact.text.trim().is_empty());
            assert!(seen.insert(fact.text.clone()), "{} twice", fact.text);
        }
    }

    #[test]
    fn the_fact_of_a_day_is_stable_and_changes_the_next_day() {
        let day = UtcDate::from_ymd(2026, 11, 21).unwrap();
        assert_eq!(for_date(day), for_date(day));
        assert_ne!(for_date(day).id, for_date(day.next()).id);
        // Every fact comes round once in len() days.
        let mut date = day;
        let mut ids = HashSet::new();
        for _ in 0..len() {
            ids.insert(for_date(date).id);
            date = date.next();
        }
        assert_eq!(ids.len(), len());
    }

    #[test]
    fn permalinks_point_at_the_service() {
        let fact = for_date(UtcDate::from_ymd(2026, 11, 21).unwrap());
        assert_eq!(fact.permalink, format!("/facts/{}", fact.id));
        assert!(fact
            .source_url
            .starts_with("https://en.wikipedia.org/wiki/"));
    }
}
