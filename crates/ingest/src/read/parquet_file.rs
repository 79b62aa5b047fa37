//! Parquet extracts: their columns cast to text, streamed in chunks.

use super::*;

pub(super) fn read_parquet(
    path: &Path,
    header_tx: &SyncSender<HeaderResult>,
    producer: &mut Producer,
) -> Result<(), ReadError> {
    let err = unreadable(path);
    let file = File::open(path).map_err(|e| err(e.to_string()))?;
    let reader = parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder::try_new(file)
        .map_err(|e| err(e.to_string()))?
        .with_batch_size(8192)
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
                cast(c, &DataType::Utf8)
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
