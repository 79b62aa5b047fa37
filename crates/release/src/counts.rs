//! What a saved report's protection of its cells adds up, slice by slice:
//! cells withheld and perturbed, the persons behind them for the ledgers
//! of `query` and of other reports, and why each is withheld.

#[derive(Debug, Default)]
pub(crate) struct Counts {
    pub(crate) cells: usize,
    pub(crate) suppressed: usize,
    pub(crate) perturbed: usize,
    pub(crate) hidden: Vec<f64>,
    /// The persons (their hashes) of each cell withheld by suppression.
    pub(crate) withheld_persons: Vec<Vec<u64>>,
    /// Each cell of a count series: (its persons' hash, published).
    pub(crate) count_cells: Vec<(u64, bool)>,
    /// Why each cell withheld by suppression is withheld.
    pub(crate) explanations: Vec<crate::explained::Explanation>,
    /// Published counts of persons of at most `crate::contributors::FEW`: the
    /// persons' set hash, their hashes and the count.
    pub(crate) published_persons: Vec<crate::published::PublishedCount>,
    /// Published sums of at most `crate::contributors::FEW` persons.
    pub(crate) published_sums: Vec<crate::published::PublishedSum>,
    /// Measures protected as if own queries' answers were not asked.
    pub(crate) unasked: Vec<String>,
}

impl Counts {
    pub(crate) fn add(&mut self, o: &Counts) {
        self.cells += o.cells;
        self.suppressed += o.suppressed;
        self.perturbed += o.perturbed;
        self.hidden.extend(&o.hidden);
        self.withheld_persons
            .extend(o.withheld_persons.iter().cloned());
        self.count_cells.extend(&o.count_cells);
        self.explanations.extend(o.explanations.iter().cloned());
        self.published_persons
            .extend(o.published_persons.iter().cloned());
        self.published_sums.extend(o.published_sums.iter().cloned());
        self.unasked.extend(o.unasked.iter().cloned());
    }
}
