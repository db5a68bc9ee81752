pub mod pe;
