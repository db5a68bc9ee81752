use anyhow::Result; #[derive(clap::Subcommand)] pub enum SimCmd { X } pub fn run(_: SimCmd) -> Result<()> { Ok(()) }
