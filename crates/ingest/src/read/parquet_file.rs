//! Parquet extracts: their columns cast to text, streamed in chunks.

use super::*;

pub(super) fn read_parquet(
    path: &Path,
    header_tx: &SyncSender<HeaderResult>,
    producer: &mut Producer,
) -> Result<(), ReadError> {
    let err = unreadable(path);
    let file = File::open(path).map_err(|e| err(e.to_string()))?;
    let builder = parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder::try_new(file)
        .map_err(|e| err(e.to_string()))?;
    let batch_rows = batch_rows(path, builder.metadata())?;
    let reader = builder
        .with_batch_size(batch_rows)
        .build()
        .map_err(|e| err(e.to_string()))?;
    let headers: Vec<String> = reader
        .schema()
        .fields()
        .iter()
        .map(|f| clean_header(f.name()))
        .collect();
    if headers.is_empty() {
        return Err(ReadError::NoHeader(path.to_owned()));
    }
    let info = SourceInfo {
        format: "parquet",
        encoding: None,
        delimiter: None,
        sheet: None,
        other_sheets: Vec::new(),
        title: None,
        layout: None,
    };
    if header_tx.send(Ok((headers, info))).is_err() {
        return Ok(());
    }
    let mut line = 0u64;
    for batch in reader {
        let batch = batch.map_err(|e| err(e.to_string()))?;
        let columns: Vec<StringArray> = batch
            .columns()
            .iter()
            .map(|c| {
                in_finnish_time(c)
                    .and_then(|c| cast(&c, &DataType::Utf8))
                    .map_err(|e| err(e.to_string()))
                    .and_then(|a| {
                        a.as_any()
                            .downcast_ref::<StringArray>()
                            .cloned()
                            .ok_or_else(|| err("cast".into()))
                    })
            })
            .collect::<Result<_, _>>()?;
        for i in 0..batch.num_rows() {
            line += 1;
            let row = producer.row(line);
            for column in &columns {
                row.push_field(if column.is_null(i) {
                    ""
                } else {
                    column.value(i)
                });
            }
            if !producer.flush(false) {
                return Ok(());
            }
        }
    }
    Ok(())
}

/// The most bytes a column's values may take on average in a row group. A
/// register field is a code, a date, an amount or a short text; a file of a
/// few kilobytes holding columns of 150 MB values (they compress to
/// nothing) took 3.9 GB to read (an attacker's finding).
pub(super) const MAX_AVERAGE_CELL: i64 = 64 * 1024;

/// About how many bytes of decoded values a batch holds.
const BATCH_BYTES: i64 = 32 << 20;

/// Rows per batch, so that a batch holds about [`BATCH_BYTES`] of values
/// (8 192 rows where rows are small, fewer where they are wide); a file
/// whose values in one column average more than [`MAX_AVERAGE_CELL`] is
/// refused before anything is decoded.
fn batch_rows(
    path: &Path,
    metadata: &parquet::file::metadata::ParquetMetaData,
) -> Result<usize, ReadError> {
    let schema = metadata.file_metadata().schema_descr();
    let mut widest_row = 1i64;
    for group in metadata.row_groups() {
        let rows = group.num_rows().max(1);
        for (i, column) in group.columns().iter().enumerate() {
            if column.uncompressed_size() / rows > MAX_AVERAGE_CELL {
                return Err(ReadError::CellsTooLarge {
                    file: path.to_owned(),
                    column: clean_header(schema.column(i).name()),
                });
            }
        }
        widest_row = widest_row.max(group.total_byte_size() / rows);
    }
    Ok(usize::try_from((BATCH_BYTES / widest_row).clamp(1, 8192)).unwrap_or(8192))
}

/// Finland's time zone, in which register dates are days.
const FINNISH_TIME: &str = "Europe/Helsinki";

/// A timestamp with a time zone is an instant, not a day: a system that
/// writes its dates as UTC instants puts Finnish midnight at 21:00 or 22:00
/// the day before. Seen in Finnish time its date is the register's day (a
/// date written as UTC midnight stays on its day too). Timestamps without a
/// zone and other columns are left as they are.
fn in_finnish_time(
    column: &arrow::array::ArrayRef,
) -> Result<arrow::array::ArrayRef, arrow::error::ArrowError> {
    match column.data_type() {
        DataType::Timestamp(unit, Some(_)) => cast(
            column,
            &DataType::Timestamp(*unit, Some(FINNISH_TIME.into())),
        ),
        _ => Ok(column.clone()),
    }
}
