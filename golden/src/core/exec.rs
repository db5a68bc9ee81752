//! What each checked command does, through the blocks' own models:
//! golden::dma moves bytes, golden::tile::TileModel computes, golden::softmax
//! turns rows into probabilities. Nothing here does arithmetic of its own.

use crate::dma::{self, bursts, read_bytes, segments, status_of_responses, write_bytes, Descriptor, Memory};
use crate::tile::{Command as TileCmd, Program};

use super::check::{retire_amount, Fault};
use super::isa::{Command, ErrorCode, SoftmaxCmd};
use super::model::{CoreModel, Outcome, ProgramError, Races, RunStatus};

impl CoreModel {
    /// Run a command that passed [`super::check::check`].
    pub(super) fn run_checked(
        &mut self,
        cmd: &Command,
        index: u32,
        mem: &mut Memory,
        races: &mut Races,
        st: &mut RunStatus,
    ) -> Result<Outcome, ProgramError> {
        let (r, c) = (self.params.systolic.rows as usize, self.params.systolic.cols as usize);
        let undefined = |line| ProgramError::UndefinedSpad { index, line };
        match *cmd {
            Command::Nop => {}
            Command::Barrier | Command::Fence => {
                races.written.clear();
                races.read.clear();
                if matches!(cmd, Command::Fence) {
                    st.irq = true;
                    st.counters.fences += 1;
                }
            }
            Command::DmaLoad { desc, spad_line } => return self.dma_load(&desc, spad_line, index, mem, races, st),
            Command::DmaStore { desc, spad_line } => return self.dma_store(&desc, spad_line, index, mem, races, st),
            Command::TileLoad { b_line, b_stride, b_off, k_rows } => {
                if self.fold_pending {
                    return Ok(Outcome::Fault(fault(ErrorCode::TileSequence)));
                }
                let mut b_rows = vec![vec![0i8; c]; r];
                for (i, row) in b_rows.iter_mut().enumerate().take(k_rows as usize) {
                    let line = b_line as u64 + i as u64 * b_stride as u64;
                    let bytes = self.spad.read(line, b_off * c as u32, c).map_err(undefined)?;
                    *row = bytes.iter().map(|&b| b as i8).collect();
                }
                self.tile_run(Program { cmds: vec![TileCmd::Load], b_rows, a_rows: vec![] });
                self.fold_pending = true;
            }
            Command::TileCompute { a_line, a_stride, a_off, rows, accumulate } => {
                if !self.fold_pending {
                    return Ok(Outcome::Fault(fault(ErrorCode::TileSequence)));
                }
                if accumulate {
                    self.acc_rows_defined(rows, index)?;
                }
                let mut a_rows = Vec::with_capacity(rows as usize);
                for m in 0..rows as u64 {
                    let line = a_line as u64 + m * a_stride as u64;
                    let bytes = self.spad.read(line, a_off * r as u32, r).map_err(undefined)?;
                    a_rows.push(bytes.iter().map(|&b| b as i8).collect());
                }
                self.tile_run(Program { cmds: vec![TileCmd::Compute { rows, accumulate }], a_rows, b_rows: vec![] });
                self.fold_pending = false;
                self.acc_defined[..rows as usize].iter_mut().for_each(|d| *d = true);
                st.counters.macs += retire_amount(cmd, &self.params);
            }
            Command::TileRead { c_line, c_stride, c_off, rows, requant } => {
                self.acc_rows_defined(rows, index)?;
                let out = self.tile_run(Program { cmds: vec![TileCmd::Read { rows, requant }], ..Default::default() });
                let row_bytes = self.params.read_row_bytes(requant);
                let off = if row_bytes < self.params.line { c_off * row_bytes } else { 0 };
                for (m, row) in out.iter().enumerate() {
                    let bytes: Vec<u8> = if requant {
                        row.iter().map(|&v| v as i8 as u8).collect()
                    } else {
                        row.iter().flat_map(|v| v.to_le_bytes()).collect()
                    };
                    self.spad.write(c_line as u64 + m as u64 * c_stride as u64, off, &bytes);
                }
            }
            Command::TileQParam { col, q } => {
                self.tile_run(Program { cmds: vec![TileCmd::QParam { col, q }], ..Default::default() });
            }
            Command::Softmax(s) => self.softmax_rows(&s, index, st)?,
            Command::TileMatmul(_) => unreachable!("TILE_MATMUL runs as its pairs (CoreModel::execute)"),
        }
        Ok(Outcome::Done)
    }

    /// Run a tile program the checks have made valid.
    fn tile_run(&mut self, p: Program) -> Vec<Vec<i32>> {
        self.tile.run(&p).unwrap_or_else(|e| panic!("a checked command failed in the tile model: {e}"))
    }

    fn acc_rows_defined(&self, rows: u32, index: u32) -> Result<(), ProgramError> {
        match self.acc_defined[..rows as usize].iter().position(|d| !d) {
            Some(row) => Err(ProgramError::UndefinedAcc { index, row: row as u32 }),
            None => Ok(()),
        }
    }

    fn softmax_rows(&mut self, s: &SoftmaxCmd, index: u32, st: &mut RunStatus) -> Result<(), ProgramError> {
        let (ib, ob) = ((self.params.softmax.in_bits / 8) as usize, (self.params.softmax.out_bits / 8) as usize);
        let len = s.len as usize;
        for row in 0..s.rows as u64 {
            let x_line = s.x_line as u64 + row * s.x_stride as u64;
            let bytes =
                self.spad.read(x_line, 0, len * ib).map_err(|line| ProgramError::UndefinedSpad { index, line })?;
            let x: Vec<i64> = bytes
                .chunks(ib)
                .map(|e| if ib == 1 { e[0] as i8 as i64 } else { i16::from_le_bytes([e[0], e[1]]) as i64 })
                .collect();
            let mask: Vec<bool> = (0..len as u64)
                .map(|j| j >= s.valid_len as u64 || (s.causal && j > s.causal_base as u64 + row))
                .collect();
            let y = self.softmax.softmax_row(&self.exp2, s.k, &x, &mask);
            let out: Vec<u8> = if s.int8_out {
                y.iter().map(|&v| crate::softmax::to_int8_prob(v) as u8).collect()
            } else {
                y.iter().flat_map(|&v| v.to_le_bytes()[..ob].to_vec()).collect()
            };
            self.spad.write(s.y_line as u64 + row * s.y_stride as u64, 0, &out);
        }
        st.counters.softmax_elements += retire_amount(&Command::Softmax(*s), &self.params);
        Ok(())
    }

    fn dma_load(
        &mut self,
        desc: &Descriptor,
        spad_line: u32,
        index: u32,
        mem: &Memory,
        races: &mut Races,
        st: &mut RunStatus,
    ) -> Result<Outcome, ProgramError> {
        let cfg = self.params.dma;
        for s in segments(desc, &cfg, &self.read_table) {
            if let Some(addr) = races.written.first_overlap(s.addr, s.addr + s.len) {
                let what = "DMA_LOAD reads DRAM bytes an earlier DMA_STORE writes";
                return Err(ProgramError::DramRace { index, what, addr });
            }
            races.read.insert(s.addr, s.addr + s.len);
        }
        let l = self.params.line as u64;
        let resps = bursts(desc, &cfg, &self.read_table)
            .iter()
            .flat_map(|b| b.beat_lanes(l))
            .map(|(beat, _, _)| self.resp_at(beat))
            .collect::<Vec<_>>();
        let status = status_of_responses(resps);
        if status != dma::Status::Ok {
            // The scratchpad lines of a faulting load are left as they were
            // (the hardware's are unspecified; nothing reaches DRAM).
            return Ok(Outcome::Fault(Fault { code: ErrorCode::AxiData, dma_status: status }));
        }
        let data = read_bytes(mem, desc, &cfg, &self.read_table);
        self.spad.write(spad_line as u64, 0, &data);
        st.counters.dram_bytes_read += retire_amount(&Command::DmaLoad { desc: *desc, spad_line }, &self.params);
        Ok(Outcome::Done)
    }

    fn dma_store(
        &mut self,
        desc: &Descriptor,
        spad_line: u32,
        index: u32,
        mem: &mut Memory,
        races: &mut Races,
        st: &mut RunStatus,
    ) -> Result<Outcome, ProgramError> {
        let cfg = self.params.dma;
        let total = desc.masked(&cfg).total_bytes() as usize;
        let data =
            self.spad.read(spad_line as u64, 0, total).map_err(|line| ProgramError::UndefinedSpad { index, line })?;
        for s in segments(desc, &cfg, &self.write_table) {
            let (lo, hi) = (s.addr, s.addr + s.len);
            if let Some(addr) = races.read.first_overlap(lo, hi) {
                let what = "DMA_STORE writes DRAM bytes an earlier DMA_LOAD reads";
                return Err(ProgramError::DramRace { index, what, addr });
            }
            if lo < races.ring.1 && races.ring.0 < hi {
                let what = "DMA_STORE writes into the command ring";
                return Err(ProgramError::DramRace { index, what, addr: lo.max(races.ring.0) });
            }
            races.written.insert(lo, hi);
        }
        let l = self.params.line as u64;
        // One response per burst: the first error among its beats.
        let resps = bursts(desc, &cfg, &self.write_table)
            .iter()
            .map(|b| b.beat_lanes(l).iter().map(|&(beat, _, _)| self.resp_at(beat)).find(|&r| r >= 2).unwrap_or(0))
            .collect::<Vec<_>>();
        write_bytes(mem, desc, &cfg, &self.write_table, &data, |beat| self.resp_at(beat) >= 2);
        let status = status_of_responses(resps);
        if status != dma::Status::Ok {
            return Ok(Outcome::Fault(Fault { code: ErrorCode::AxiData, dma_status: status }));
        }
        st.counters.dram_bytes_written += retire_amount(&Command::DmaStore { desc: *desc, spad_line }, &self.params);
        Ok(Outcome::Done)
    }
}

fn fault(code: ErrorCode) -> Fault {
    Fault { code, dma_status: dma::Status::Ok }
}
