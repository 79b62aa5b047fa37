//! Prints the plan the release analyses for a SQL statement (debugging aid).
#[tokio::main(flavor = "current_thread")]
async fn main() {
    let args: Vec<String> = std::env::args().collect();
    let engine = peitto_engine::Engine::open(std::path::Path::new(&args[1]))
        .await
        .unwrap();
    let plan = peitto_release::plan(&engine, &args[2], &Default::default())
        .await
        .unwrap();
    println!("{}", plan.display_indent());
    println!(
        "{:?}",
        peitto_release::analyze::analyze(&plan).map(|a| a.level)
    );
}
