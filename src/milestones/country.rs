//! "If it were a country": a count compared with the world's populations, in a
//! clause that reads well at every size: a rank among the top [`TOP_RANKS`] ("the
//! 8th most populous in the world"), else the most populous country still below
//! the count ("more people than live in Iceland"), and nothing below the least
//! populous one.
//!
//! The populations are `data/countries.csv` (World Bank SP.POP.TOTL, latest year,
//! countries and territories only; `data/README.md` says how it was made), compiled
//! into the binary.

use std::sync::LazyLock;

use crate::text::number::ordinal;

const CSV: &str = include_str!("../../data/countries.csv");

/// One row of `data/countries.csv`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Country {
    /// Common English short name, as it reads in an announcement.
    pub name: &'static str,
    /// ISO 3166-1 alpha-3 (World Bank code; Kosovo is `XKX`).
    pub iso3: &'static str,
    pub population: u64,
}

/// Every country, most populous first.
pub fn countries() -> &'static [Country] {
    static COUNTRIES: LazyLock<Vec<Country>> = LazyLock::new(|| {
        let mut rows: Vec<Country> = CSV.lines().skip(1).map(parse_row).collect();
        rows.sort_by(|a, b| b.population.cmp(&a.population).then(a.name.cmp(b.name)));
        rows
    });
    &COUNTRIES
}

/// The file is ours and tested, so a malformed row is a bug, not an input error.
fn parse_row(line: &'static str) -> Country {
    let fields: Vec<&'static str> = line.split(',').collect();
    let [name, iso3, population] = fields[..] else {
        panic!("data/countries.csv: expected 3 fields in {line:?}");
    };
    Country {
        name,
        iso3,
        population: population
            .parse()
            .unwrap_or_else(|_| panic!("data/countries.csv: bad population in {line:?}")),
    }
}

/// The ranks told as a rank; a count ranked lower is compared with a country.
pub const TOP_RANKS: usize = 100;

/// Where a count would rank among countries by population.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CountryRank {
    /// At least as many as the most populous country.
    LargerThanAll { largest: &'static Country },
    /// `rank` = 1 + the number of countries with more people than the count (so at
    /// least 2); `next_smaller` is the most populous country with fewer people,
    /// `None` when the count is at or below every country.
    Rank {
        rank: usize,
        next_smaller: Option<&'static Country>,
    },
}

/// Ranks `n` among the countries of `data/countries.csv`.
pub fn country_rank(n: u64) -> CountryRank {
    let all = countries();
    let larger = all.partition_point(|c| c.population > n);
    if larger == 0 {
        return CountryRank::LargerThanAll { largest: &all[0] };
    }
    CountryRank::Rank {
        rank: larger + 1,
        next_smaller: all.get(all.partition_point(|c| c.population >= n)),
    }
}

impl CountryRank {
    /// The phrase for `{country_rank}`, lower case, without final punctuation:
    /// "if it were a country, it would be the 8th most populous in the world,
    /// ahead of Bangladesh" (a top-[`TOP_RANKS`] rank), "more people than live in
    /// Iceland" (a lower one), or empty below the least populous country.
    pub fn phrase(&self) -> String {
        match self {
            CountryRank::LargerThanAll { .. } => {
                "that is more people than live in any country on Earth".to_string()
            }
            CountryRank::Rank {
                rank,
                next_smaller: Some(smaller),
            } if *rank <= TOP_RANKS => format!(
                "if it were a country, it would be the {} most populous in the world, ahead of {}",
                ordinal(*rank as u64),
                smaller.name
            ),
            CountryRank::Rank {
                next_smaller: Some(smaller),
                ..
            } => format!("more people than live in {}", smaller.name),
            CountryRank::Rank {
                next_smaller: None, ..
            } => String::new(),
        }
    }
}

/// The longest phrase [`CountryRank::phrase`] can produce, in UTF-16 units (what
/// Telegram counts), for template length checks.
pub fn longest_phrase() -> String {
    let all = countries();
    let candidates = all
        .iter()
        .flat_map(|c| [c.population, c.population.saturating_add(1)])
        .chain([0, u64::MAX]);
    candidates
        .map(|n| country_rank(n).phrase())
        .max_by_key(|p| p.encode_utf16().count())
        .expect("at least one candidate")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_line_of_the_data_file_has_three_fields_and_a_population() {
        for line in CSV.lines().skip(1) {
            let country = parse_row(line);
            assert!(country.population > 0, "{line}");
            assert_eq!(country.iso3.len(), 3, "{line}");
        }
        assert_eq!(CSV.lines().next(), Some("country,iso3,population"));
    }

    #[test]
    fn the_data_file_holds_countries_and_no_aggregates() {
        let all = countries();
        assert!((190..=230).contains(&all.len()), "{} rows", all.len());
        for aggregate in [
            "WLD", "HIC", "EMU", "SSF", "IDA", "OED", "ARB", "EUU", "LMY",
        ] {
            assert!(
                all.iter().all(|c| c.iso3 != aggregate),
                "{aggregate} present"
            );
        }
        let world: u64 = all.iter().map(|c| c.population).sum();
        assert!(world < 9_000_000_000, "sum {world} suggests aggregates");
    }

    #[test]
    fn the_rank_is_one_plus_the_number_of_more_populous_countries() {
        let all = countries();
        for n in [
            200_000_000,
            1_000_000,
            50_000_000,
            all[5].population,
            all[5].population + 1,
        ] {
            let larger = all.iter().filter(|c| c.population > n).count();
            let smaller = all
                .iter()
                .filter(|c| c.population < n)
                .max_by_key(|c| c.population);
            assert_eq!(
                country_rank(n),
                CountryRank::Rank {
                    rank: larger + 1,
                    next_smaller: smaller,
                },
                "n = {n}"
            );
        }
    }

    #[test]
    fn a_count_above_the_most_populous_country_is_larger_than_all() {
        let largest = &countries()[0];
        for n in [largest.population, largest.population + 1, u64::MAX] {
            assert_eq!(country_rank(n), CountryRank::LargerThanAll { largest });
        }
    }

    #[test]
    fn a_count_below_every_country_has_no_smaller_neighbour() {
        let all = countries();
        let smallest = all.last().unwrap().population;
        assert_eq!(
            country_rank(smallest - 1),
            CountryRank::Rank {
                rank: all.len() + 1,
                next_smaller: None,
            }
        );
        assert_eq!(country_rank(smallest - 1).phrase(), "");
    }

    /// The most populous country with fewer people than `n`, from the data file.
    fn just_below(n: u64) -> &'static str {
        countries()
            .iter()
            .filter(|c| c.population < n)
            .max_by_key(|c| c.population)
            .map(|c| c.name)
            .unwrap()
    }

    fn rank_of(n: u64) -> usize {
        1 + countries().iter().filter(|c| c.population > n).count()
    }

    #[test]
    fn the_country_clause_reads_well_at_every_size() {
        // 1K is below Tuvalu, the least populous country: no clause at all.
        assert!(countries().iter().all(|c| c.population > 1_000));
        assert_eq!(country_rank(1_000).phrase(), "");
        // 50K and 400K rank far below the top 100: a country they outnumber.
        for (n, country) in [(50_000, "Saint Kitts and Nevis"), (400_000, "Iceland")] {
            assert!(rank_of(n) > TOP_RANKS, "{n}");
            assert_eq!(just_below(n), country);
            assert_eq!(
                country_rank(n).phrase(),
                format!("more people than live in {country}")
            );
        }
        // 10M and 200M rank among the top 100: the rank.
        for (n, rank) in [(10_000_000, "95th"), (200_000_000, "8th")] {
            assert!(rank_of(n) <= TOP_RANKS, "{n}");
            assert_eq!(
                country_rank(n).phrase(),
                format!(
                    "if it were a country, it would be the {rank} most populous in the world, ahead of {}",
                    just_below(n)
                )
            );
        }
        // 2B is more than India.
        assert_eq!(
            country_rank(2_000_000_000).phrase(),
            "that is more people than live in any country on Earth"
        );
    }

    #[test]
    fn the_rank_is_told_up_to_the_hundredth_and_a_country_after() {
        let all = countries();
        let hundredth = all[TOP_RANKS - 1].population;
        assert!(
            country_rank(hundredth)
                .phrase()
                .contains("the 100th most populous")
        );
        assert_eq!(
            country_rank(hundredth - 1).phrase(),
            format!("more people than live in {}", all[TOP_RANKS].name)
        );
    }

    #[test]
    fn phrases_name_the_rank_and_the_country_just_below() {
        let all = countries();
        let phrase = country_rank(all[7].population + 1).phrase();
        assert_eq!(
            phrase,
            format!(
                "if it were a country, it would be the 8th most populous in the world, ahead of {}",
                all[7].name
            )
        );
        assert_eq!(
            country_rank(u64::MAX).phrase(),
            "that is more people than live in any country on Earth"
        );
    }

    #[test]
    fn the_longest_phrase_is_at_least_as_long_as_any_phrase() {
        let longest = longest_phrase().encode_utf16().count();
        for n in [0, 1, 200_000_000, 1_000_000_000, u64::MAX] {
            assert!(country_rank(n).phrase().encode_utf16().count() <= longest);
        }
    }
}
