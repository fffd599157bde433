//! `telegram-sim`: the simulator as its own process, for the demo and
//! benchmarks. It registers one bot, optionally creates channels with the
//! bot as admin, prints the API URL, and serves until Ctrl-C.

use std::net::SocketAddr;

use clap::Parser;
use telegram_sim::{ChatKind, Limits, SimConfig, TelegramSim};

/// Command-line options.
#[derive(Parser)]
#[command(version, about = "A Telegram Bot API simulator")]
struct Args {
    /// Address to listen on (port 0 picks a free one).
    #[arg(long, default_value = "127.0.0.1:8081")]
    addr: SocketAddr,
    /// The bot token clients will use.
    #[arg(long, default_value = "123456:SIMULATED")]
    token: String,
    /// The bot's username.
    #[arg(long, default_value = "milestone_sim_bot")]
    username: String,
    /// Channels to create, each with the bot added as admin.
    #[arg(long, default_value_t = 0)]
    channels: usize,
    /// Turn Telegram's flood limits off.
    #[arg(long)]
    no_limits: bool,
}

#[tokio::main]
async fn main() -> std::io::Result<()> {
    tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::from_default_env())
        .init();
    let args = Args::parse();
    let limits = if args.no_limits {
        Limits::off()
    } else {
        Limits::default()
    };
    let sim = TelegramSim::start_on(
        args.addr,
        SimConfig {
            limits,
            ..SimConfig::default()
        },
    )
    .await?;
    sim.add_bot(&args.token, &args.username);
    let owner = sim.create_user("Owner");
    for i in 1..=args.channels {
        let kind = ChatKind::Channel {
            username: Some(format!("sim_channel_{i}")),
        };
        let chat = sim.create_chat(kind, &format!("Channel {i}"));
        sim.set_member_status(chat, owner, telegram_sim::MemberStatus::Creator);
        sim.bot_added_to_chat(&args.token, chat, owner, true);
        println!("channel {i}: {}", chat.0);
    }
    println!("owner user id: {}", owner.0);
    println!("api url: {}", sim.api_url());
    println!("control api: {}_sim/", sim.api_url());
    tokio::signal::ctrl_c().await?;
    Ok(())
}
